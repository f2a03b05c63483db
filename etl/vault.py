"""The sealed copy of personal data, behind the cockpit's audited "show in full" action.

The served database holds names, ID numbers and phones only masked or hashed. So that a
privileged account can still see one record in full (a grid worker visiting an elderly resident
needs the phone number), the ETL seals the clear values with AES-256-GCM into the `vault` table,
the records of BUCKET_ROWS source lines to a sealed bucket (nonce + ciphertext, the source table and bucket number
bound in as associated data, so a bucket cannot be passed off as another), and `vault_index`
names each record's bucket. The
vault key lives in its own file outside the database (mode 0600), apart from the pseudonymisation
key: the cockpit needs this one to open a record, never the other.
"""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VAULT_KEY_NAME = "vault.key"        # beside the pseudonymisation key unless configured otherwise
BATCH_BUCKETS = 512        # sealed buckets written at a time (~8 MB)
# records sealed together: one AES-GCM call per bucket, not per record (a city's 3.7 million
# residents in seconds); opening one record decrypts its bucket on the server and returns only it
BUCKET_ROWS = 256


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


def _associated(table: str, bucket: int) -> bytes:
    return f"{table}\x1f{bucket}".encode()


RECORD, FIELD = "\x1e", "\x1f"    # ASCII record and unit separators: never in a name, ID or phone


def seal(con, key: bytes, table: str, columns: list[str], relation: str) -> int:
    """Seal `columns` of every row of `relation` (its id in `record_id`, its source line in
    `line`) under `table`: buckets of BUCKET_ROWS source lines into wh.vault, each record's
    bucket into wh.vault_index. DuckDB joins each bucket's text; Python only encrypts, once per
    bucket (per record it took minutes for a city)."""
    def text(column: str) -> str:
        return f"translate(coalesce(CAST({column} AS VARCHAR), ''), chr(30) || chr(31), '')"
    con.execute(f"""CREATE OR REPLACE TABLE memory.vault_buckets AS
                    SELECT line // {BUCKET_ROWS} AS bucket, {text("record_id")} AS record_id,
                           concat_ws(chr(31), {", ".join(text(c) for c in ["record_id", *columns])}) AS fields
                    FROM {relation}""")
    con.execute("INSERT INTO wh.vault_index SELECT ?, record_id, bucket FROM memory.vault_buckets", [table])
    header = FIELD.join(["record_id", *columns])
    # its own cursor: the inserts below would otherwise replace the result being read
    reader = con.cursor().execute("SELECT bucket, string_agg(fields, chr(30)) FROM memory.vault_buckets "
                                  "GROUP BY bucket")
    aes = AESGCM(key)
    while batch := reader.fetchmany(BATCH_BUCKETS):
        buckets, sealed = [], []
        for bucket, records in batch:
            nonce = os.urandom(12)
            buckets.append(bucket)
            plain = (header + RECORD + records).encode()
            sealed.append(nonce + aes.encrypt(nonce, plain, _associated(table, bucket)))
        con.register("sealed_batch", pa.table({"bucket": pa.array(buckets, pa.int64()),
                                               "sealed": pa.array(sealed, pa.binary())}))
        con.execute("INSERT INTO wh.vault SELECT ?, bucket, sealed FROM sealed_batch", [table])
        con.unregister("sealed_batch")
    n = con.execute("SELECT count(*) FROM memory.vault_buckets").fetchall()[0][0]
    con.execute("DROP TABLE memory.vault_buckets")
    return n


def open_record(key: bytes, table: str, record_id: str, bucket: int, sealed: bytes) -> dict:
    """The clear values of one record from its bucket; VaultError if the key, the bucket or the
    record do not belong together."""
    nonce, ciphertext = bytes(sealed[:12]), bytes(sealed[12:])
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, _associated(table, int(bucket))).decode()
    except (InvalidTag, ValueError) as exc:
        raise VaultError(f"{table} bucket {bucket}: does not open with this key") from exc
    header, *records = plain.split(RECORD)
    columns = header.split(FIELD)
    for record in records:
        fields = record.split(FIELD)
        if fields[0] == record_id:
            return dict(zip(columns[1:], fields[1:]))
    raise VaultError(f"{table}/{record_id} is not in bucket {bucket}")
