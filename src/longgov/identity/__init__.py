"""Identity: persons, enterprises, staff, organisations, roles, login and sessions (R3.1)."""
