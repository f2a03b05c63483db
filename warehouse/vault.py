"""The sealed copy of personal data, opened: one record at a time, behind the cockpit's audited
"show in full" action (the ETL seals it: etl/privacy/vault.py).

The served database holds names, ID numbers and phones only masked or hashed. So that a
privileged account can still see one record in full (a grid worker visiting an elderly resident
needs the phone number), the ETL seals the clear values with AES-256-GCM into the `vault` table,
a bucket of source lines at a time (nonce + ciphertext, the source table and bucket number bound
in as associated data, so a bucket cannot be passed off as another), and `vault_index` names each
record's bucket. The vault key lives in its own file outside the database (mode 0600), apart from
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
