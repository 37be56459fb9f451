"""Append-only, hash-chained audit log (R8.1)."""
