"""Hub credentials: random secrets of which the hub keeps only a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    """A fresh random credential (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> bytes:
    """What the hub stores: the secret is random and long, so one SHA-256 round suffices."""
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)
