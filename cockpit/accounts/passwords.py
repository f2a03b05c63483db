"""Password hashes: werkzeug's scrypt (RFC 7914), a per-password salt, its parameters stored with
the hash ("scrypt:N:r:p$salt$hex") so they can be raised later without breaking old hashes.

Hashes written before werkzeug ("scrypt$N$r$p$salt$digest", base64) still verify; `outdated`
tells the store to write a new one when their password is next given right."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

METHOD = f"scrypt:{2 ** 14}:8:1"     # ~16 MB and ~50 ms per hash on this class of machine


def hash_password(password: str) -> str:
    return generate_password_hash(password, METHOD)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` is the one `stored` was made from: one scrypt hash for any hash this
    module wrote, old or new format (the sign-in's defence against telling names apart by time);
    False without one for no hash or a damaged one."""
    try:
        if (stored or "").startswith("scrypt$"):
            return _verify_before_werkzeug(password, stored)
        return check_password_hash(stored, password)
    except (ValueError, TypeError, AttributeError):
        return False


def outdated(stored: str | None) -> bool:
    """A hash in the old format, of another method, or weaker than METHOD's. A stronger one stays
    (a newer release's, seen by an older server sharing the store, is never weakened)."""
    if not stored:
        return False
    method = stored.split("$", 1)[0].split(":")
    if method[0] != "scrypt" or len(method) != 4:
        return True
    try:
        n, r, p = (int(x) for x in method[1:])
    except ValueError:
        return True
    want_n, want_r, want_p = (int(x) for x in METHOD.split(":")[1:])
    return n < want_n or r < want_r or p < want_p


def _verify_before_werkzeug(password: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got, base64.b64decode(digest))


def random_password() -> str:
    return secrets.token_urlsafe(12)
