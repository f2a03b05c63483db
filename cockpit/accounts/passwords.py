"""Password hashes: scrypt (RFC 7914, in the standard library), a per-password salt, parameters
stored with the hash so they can be raised later without breaking old hashes."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2 ** 14, 8, 1          # ~16 MB and ~50 ms per hash on this class of machine


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def random_password() -> str:
    return secrets.token_urlsafe(12)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()
