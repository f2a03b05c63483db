"""Helpers of the store tests (accounts, tokens, labels, the audit log) that more than one
module uses: what a later release or code holding a store's rights could do to it."""
from cockpit.audit import chain_hash

OLD = "2001-01-01T00:00:00"         # an audit record's time long past any retention


def set_version(db, store: str, version: int) -> None:
    """What a later release would leave: the store's schema version (SQLite's in the file)."""
    with db.connection() as con:
        if db.dialect == "sqlite":
            con.execute(f"PRAGMA user_version = {version}")
        else:
            con.execute("UPDATE cockpit_schema SET version = ? WHERE store = ?", (version, store))


def last_hash(con) -> str:
    return con.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0]


def raw_insert(con, at, account, action="login", prev=None, rid=None, verb="INSERT"):
    """A record written with SQL, correctly chained (as code holding the store's rights could)."""
    prev = last_hash(con) if prev is None else prev
    record = {"at": at, "account": account, "address": "", "action": action, "target": "", "detail": ""}
    values = (at, account, action, prev, chain_hash(prev, record))
    if rid is None:
        con.execute(f"{verb} INTO audit (at, account, address, action, target, detail, prev_hash, hash) "
                    "VALUES (?, ?, '', ?, '', '', ?, ?)", values)
    else:                       # an id of one's choosing (PostgreSQL: overriding the identity)
        overriding = " OVERRIDING SYSTEM VALUE" if con.dialect == "postgresql" else ""
        con.execute(f"{verb} INTO audit (id, at, account, address, action, target, detail, prev_hash, hash)"
                    f"{overriding} VALUES (?, ?, ?, '', ?, '', '', ?, ?)", (rid, *values))
