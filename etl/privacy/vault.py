"""The sealed copy of personal data, written: the ETL seals the clear values of each personal
column into the `vault` table (the format, the key and the opening side are warehouse/vault.py,
which the cockpit reads)."""
from __future__ import annotations

import os

import pyarrow as pa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from warehouse.vault import FIELD, NONCE_BYTES, RECORD, associated

BATCH_BUCKETS = 512        # sealed buckets written at a time (~8 MB)
# records sealed together: one AES-GCM call per bucket, not per record (a city's 3.7 million
# residents in seconds); opening one record decrypts its bucket on the server and returns only it
BUCKET_ROWS = 256


def seal(con, key: bytes, table: str, columns: list[str], relation: str) -> int:
    """Seal `columns` of every row of `relation` (its id in `record_id`, its source line in
    `line`) under `table`: buckets of BUCKET_ROWS source lines into wh.secure.vault, each record's
    bucket into wh.secure.vault_index. DuckDB joins each bucket's text; Python only encrypts, once per
    bucket (per record it took minutes for a city). The encryption stays on one thread: AESGCM
    holds the GIL, and at about 1 GB/s it is ~1 % of a city's seal (bench/load_phases.py); the
    rest is DuckDB's, on the cores already."""
    def text(column: str) -> str:       # the separators dropped (replace: a third of translate's CPU)
        return f"replace(replace(coalesce(CAST({column} AS VARCHAR), ''), chr(30), ''), chr(31), '')"
    con.execute(f"""CREATE OR REPLACE TABLE memory.vault_buckets AS
                    SELECT line // {BUCKET_ROWS} AS bucket, {text("record_id")} AS record_id,
                           concat_ws(chr(31), {", ".join(text(c) for c in ["record_id", *columns])}) AS fields
                    FROM {relation}""")
    con.execute("INSERT INTO wh.secure.vault_index SELECT ?, record_id, bucket FROM memory.vault_buckets", [table])
    header = FIELD.join(["record_id", *columns])
    # its own cursor: the inserts below would otherwise replace the result being read
    reader = con.cursor().execute("SELECT bucket, string_agg(fields, chr(30)) FROM memory.vault_buckets "
                                  "GROUP BY bucket")
    aes = AESGCM(key)
    while batch := reader.fetchmany(BATCH_BUCKETS):
        buckets, sealed = [], []
        for bucket, records in batch:
            nonce = os.urandom(NONCE_BYTES)
            buckets.append(bucket)
            plain = (header + RECORD + records).encode()
            sealed.append(nonce + aes.encrypt(nonce, plain, associated(table, bucket)))
        con.register("sealed_batch", pa.table({"bucket": pa.array(buckets, pa.int64()),
                                               "sealed": pa.array(sealed, pa.binary())}))
        con.execute("INSERT INTO wh.secure.vault SELECT ?, bucket, sealed FROM sealed_batch", [table])
        con.unregister("sealed_batch")
    n = con.execute("SELECT count(*) FROM memory.vault_buckets").fetchall()[0][0]
    con.execute("DROP TABLE memory.vault_buckets")
    return n
