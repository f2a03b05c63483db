"""The pseudonymisation key. The served database never holds a full ID number, name or phone:
`etl/sql/privacy/pseudonymise_persons.sql` replaces them, in memory, by an HMAC-SHA256 keyed hash
(for linkage) and masks (for display). The key lives outside the database, in a file only the
ETL reads; losing it breaks linkage with earlier runs, leaking it allows re-identification by
brute force over the ID-number space, so it is created with mode 0600."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return key


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104, SHA-256 block of 64 bytes), for SQL."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else None
    if block is None:
        raise ValueError("key longer than one SHA-256 block")
    return {"ipad": bytes(b ^ 0x36 for b in block), "opad": bytes(b ^ 0x5C for b in block)}


def _mask_sql(column: str) -> str:
    """The display mask of a personal column, by what it holds (as in pseudonymise_persons.sql)."""
    v = f"trim({column})"
    if column == "id_number":
        return (f"CASE WHEN length({v}) = 18 THEN left(upper({v}), 6) || '********' || right(upper({v}), 4) "
                f"ELSE repeat('*', greatest(length({v}) - 2, 0)) || right({v}, 2) END")
    if column.endswith("phone"):
        return (f"CASE WHEN length({v}) = 11 THEN left({v}, 3) || '****' || right({v}, 4) "
                f"ELSE repeat('*', greatest(length({v}) - 2, 0)) || right({v}, 2) END")
    return f"CASE WHEN {v} = '' THEN '' ELSE left({v}, 1) || repeat('*', length({v}) - 1) END"


def masking_sql(spec, raw: str) -> str:
    """SELECT over `raw` with every personal column replaced by `<column>_masked`, and an ID
    number also by `person_key`, its keyed hash (bind $ipad/$opad from hmac_pads). For sources
    other than persons, which has its own model (etl/sql/privacy/pseudonymise_persons.sql)."""
    personal = [c.name for c in spec.columns if c.personal]
    out = [f"{_mask_sql(c)} AS {c}_masked" for c in personal]
    if "id_number" in personal:
        out.append("CASE WHEN trim(id_number) = '' THEN '' ELSE sha256($opad || "
                   "unhex(sha256($ipad || encode(upper(trim(id_number)))))) END AS person_key")
    return f"SELECT * EXCLUDE ({', '.join(personal)}), {', '.join(out)} FROM {raw}"
