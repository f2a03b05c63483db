"""The sealed copy of personal data, opened: one record at a time, behind the cockpit's audited
"show in full" action (the ETL seals it: etl/privacy/vault.py).

The served database holds names, ID numbers and phones only masked or hashed. So that a
privileged account can still see one record in full (a grid worker visiting an elderly resident
needs the phone number), the ETL seals the clear values with AES-256-GCM into `secure.vault`, a
bucket of source lines at a time (nonce + ciphertext, the source table and bucket number bound in
as associated data, so a bucket cannot be passed off as another), and `secure.vault_index` names
each record's bucket. This module and the ETL's sealing are the only code naming the schema
`secure`. The vault key lives in its own file outside the database (mode 0600), apart from
the pseudonymisation key: the cockpit needs this one to open a record, never the other.

A bucket's plain text: a header of field names, then its records, separated by RECORD; the fields
of each separated by FIELD, the record id first."""
from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VAULT_KEY_NAME = "vault.key"        # beside the pseudonymisation key unless configured otherwise
RECORD, FIELD = "\x1e", "\x1f"    # ASCII record and unit separators: never in a name, ID or phone
NONCE_BYTES = 12


class VaultError(Exception):
    """No key, or a key, record or bytes that do not belong together."""


def vault_key_path(key_file: Path) -> Path:
    return Path(key_file).parent / VAULT_KEY_NAME


def load(path: Path) -> bytes:
    """The key, for opening records; a missing key is an error, never a new key."""
    try:
        return bytes.fromhex(Path(path).read_text().strip())
    except (OSError, ValueError) as exc:
        raise VaultError(f"vault key not readable: {path}") from exc


# the one query of the read side naming the schema `secure` (the cockpit's SQL files never do)
SEALED_BUCKET_SQL = """SELECT i.bucket, v.sealed FROM secure.vault_index i
JOIN secure.vault v ON v.source_table = i.source_table AND v.bucket = i.bucket
WHERE i.source_table = $table AND i.record_id = $record_id"""


def sealed_bucket(query, table: str, record_id: str) -> tuple[int, bytes] | None:
    """(bucket, sealed bytes) holding one record of `table`, or None. `query(sql, params)` runs
    SQL on the served generation and returns a frame (cockpit.db's Snapshot.query). The caller
    has checked the record is one the viewer may open."""
    rows = query(SEALED_BUCKET_SQL, {"table": table, "record_id": record_id})
    return None if rows.empty else (int(rows["bucket"].iloc[0]), bytes(rows["sealed"].iloc[0]))


def associated(table: str, bucket: int) -> bytes:
    """The associated data a bucket is sealed with: it opens only as itself."""
    return f"{table}\x1f{bucket}".encode()


def open_record(key: bytes, table: str, record_id: str, bucket: int, sealed: bytes) -> dict:
    """The clear values of one record from its bucket; VaultError if the key, the bucket or the
    record do not belong together."""
    nonce, ciphertext = bytes(sealed[:NONCE_BYTES]), bytes(sealed[NONCE_BYTES:])
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, associated(table, int(bucket))).decode()
    except (InvalidTag, ValueError) as exc:
        raise VaultError(f"{table} bucket {bucket}: does not open with this key") from exc
    header, *records = plain.split(RECORD)
    columns = header.split(FIELD)
    for record in records:
        fields = record.split(FIELD)
        if fields[0] == record_id:
            return dict(zip(columns[1:], fields[1:]))
    raise VaultError(f"{table}/{record_id} is not in bucket {bucket}")
