"""The PostgreSQL part of a backup (COCKPIT_DATABASE_URL: accounts, sessions, the audit log and
the API tokens of several web servers): PostgreSQL's own pg_dump and pg_restore, which this
machine must have (Debian: postgresql-client, of the server's major version or newer).

pg_dump reads one consistent snapshot while the web servers keep writing, in its custom format
(compressed, restorable table by table). Restore loads it with pg_restore in one transaction, as
the role of COCKPIT_DATABASE_URL (owners and grants are not restored: the web role's rights are
given again by `python -m cockpit.accounts migrate --grant ROLE`). The audit log's guarding
triggers are created after its rows are loaded, so the chain goes back as it was. The password is
handed to the programs in their environment (PGPASSWORD), never on a command line."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class DatabaseError(Exception):
    """pg_dump or pg_restore missing or failed (in words for the operator)."""


def program(name: str) -> str:
    """pg_dump or pg_restore: on PATH, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not versions:
        raise DatabaseError(f"找不到 {name}：请安装 postgresql-client（版本不低于数据库服务器）(install postgresql-client)")
    return str(versions[-1])


def _split(url: str) -> tuple[str, dict]:
    """(connection string without the password, the environment carrying it)."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    return make_conninfo(**params), env


def label(url: str) -> str:
    params = conninfo_to_dict(url)
    return f"postgresql://{params.get('user', '')}@{params.get('host', 'localhost')}:{params.get('port', 5432)}/" \
           f"{params.get('dbname', '')}"


def dump(url: str, target: Path) -> None:
    conninfo, env = _split(url)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    done = subprocess.run([program("pg_dump"), "--format=custom", "--file", str(target), "--dbname", conninfo],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise DatabaseError(f"pg_dump 失败 (failed): {done.stderr.strip()}")


def has_state(url: str) -> bool:
    """Whether the database already holds a cockpit's stores."""
    import psycopg
    with psycopg.connect(url) as con:
        return con.execute("SELECT to_regclass('cockpit_schema') IS NOT NULL").fetchone()[0]


def restore(url: str, source: Path, clean: bool) -> None:
    conninfo, env = _split(url)
    done = subprocess.run([program("pg_restore"), "--no-owner", "--no-acl", "--single-transaction",
                           "--exit-on-error", *(["--clean", "--if-exists"] if clean else []),
                           "--dbname", conninfo, str(source)], env=env, capture_output=True, text=True)
    if done.returncode:
        raise DatabaseError(f"pg_restore 失败 (failed): {done.stderr.strip()}")
