"""Security: permissions, policy, data scope, national cryptography, personal data, audit."""
