"""A secret key in a file of its own, outside any database: created on first use with mode 0600
(never readable by others, never replaced), read as hex after. The ETL's pseudonymisation and vault
keys and the cockpit's session-signing key are such files."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_key(path: Path) -> bytes:
    path = Path(path)
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return key
