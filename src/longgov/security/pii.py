"""Personal data at rest: SM4-GCM encryption plus an SM3-HMAC blind index for exact lookup."""

from __future__ import annotations

from dataclasses import dataclass

from longgov.security.crypto import sm3_hmac, sm4_decrypt, sm4_encrypt


@dataclass(frozen=True)
class PiiCodec:
    """Encrypts one field's value bound to the field name, and derives its lookup index."""

    data_key: bytes
    index_key: bytes

    def encrypt(self, field: str, value: str) -> bytes:
        """Ciphertext of ``value``; the field name is authenticated so columns cannot be swapped."""
        return sm4_encrypt(self.data_key, value.encode(), field.encode())

    def decrypt(self, field: str, blob: bytes) -> str:
        """Plaintext of a stored value (raises CryptoError if it was altered)."""
        return sm4_decrypt(self.data_key, blob, field.encode()).decode()

    def index(self, field: str, value: str) -> str:
        """Deterministic keyed index: equal values give equal indexes, nothing else is revealed."""
        return sm3_hmac(self.index_key, field.encode() + b"\x00" + value.encode()).hex()


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """Generic mask: keep the ends, star the middle."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_address(value: str) -> str:
    """Keep the first six characters of an address (province/city), star the rest."""
    return mask_middle(value, 6, 0)


def mask_name(value: str) -> str:
    """张三丰 → 张**; a name is shown masked where the reader has no need for it."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def mask_phone(value: str) -> str:
    """13912345678 → 139****5678."""
    return mask_middle(value, 3, 4)
