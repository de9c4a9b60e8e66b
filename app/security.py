"""Password hashing (argon2id, off the event loop), opaque session tokens, and the keys that sign the
audit chain and backups."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs
# Hashing a dummy keeps the time of "no such user" close to that of "wrong password".
_DUMMY_HASH = _hasher.hash("sinergi-dummy-password")


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Only the digest of a token is stored, so a leaked database cannot be replayed as sessions."""
    return hashlib.sha256(token.encode()).hexdigest()


AUDIT_CHAIN_KEY = "sinergi audit chain v1"
BACKUP_MANIFEST_KEY = "sinergi backup manifest v1"


def derive_key(secret: str, label: str) -> bytes:
    """A 32-byte key for one purpose, named by `label`, from a configured secret: HKDF-SHA256 (RFC 5869,
    one output block) with a fixed salt. One secret gives unrelated keys for unrelated uses, and none of
    them reveals the secret or another key."""
    pseudo_random = hmac.new(b"sinergi-kdf", secret.encode(), hashlib.sha256).digest()
    return hmac.new(pseudo_random, label.encode() + b"\x01", hashlib.sha256).digest()


def sign(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()
