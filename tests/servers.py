"""A real PostgreSQL and a real Redis for the state tests (and bench/servers.py): Debian's
packages (`make test` installs them: Makefile, system-deps), each started as this run's own
process on a free loopback port in a temporary folder, with a random password, and stopped at
the end. The packages' own services are never used (there is no systemd in CI).

PostgreSQL refuses to run as root, and CI runs `make test` as root: then the server runs as
Debian's `postgres` system user (created by the package), or as `nobody` where there is none,
in a folder that user owns (runuser). Not as root, it runs as the user running the tests."""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from tests.cockpit_process import free_port

MISSING = "Debian's {} is not installed: run the README's test command (make test), which installs it"


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError(MISSING.format("postgresql"))
    return found[-1].parent


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that runs PostgreSQL's programs as an unprivileged user owning `folder`."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        os.chown(folder, user.pw_uid, user.pw_gid)
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("no unprivileged user to run PostgreSQL as (postgres or nobody)")


@contextmanager
def postgres_server():
    """Yields the URL of a fresh cluster's `postgres` database (superuser `cockpit_test`)."""
    bin_dir = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="cockpit-pg-"))
    as_user = _as_server_user(folder)
    password = secrets.token_urlsafe(16)
    (folder / "pw").write_text(password)
    if as_user:
        shutil.chown(folder / "pw", user=as_user[2])
    data, port = folder / "data", free_port()
    run = dict(capture_output=True, text=True, cwd=folder)
    done = subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "cockpit_test",
                           "--pwfile", str(folder / "pw"), "--auth=scram-sha-256", "-E", "UTF8",
                           "--locale=C.UTF-8", "--no-sync"], **run)
    if done.returncode:
        raise RuntimeError(f"initdb failed: {done.stderr}")
    (folder / "pw").unlink()
    # no fsync: a test server's data need not survive a crash of the machine
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
               f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
    done = subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                           "-l", str(folder / "server.log"), "-w", "-t", "60", "start"], **run)
    if done.returncode:
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{log}")
    try:
        yield f"postgresql://cockpit_test:{quote(password, safe='')}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       **run)
        shutil.rmtree(folder, ignore_errors=True)


def database_url(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def fresh_database(server_url: str):
    """A new, empty database on the server (its URL), dropped afterwards with every connection
    this process's pool kept to it."""
    import psycopg

    from cockpit.stores import postgres
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = database_url(server_url, name)
    try:
        yield url
    finally:
        postgres.close(url)
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@contextmanager
def redis_server():
    """Yields redis://:<password>@127.0.0.1:<port>/0 of a server with nothing on disk, its memory
    bounded and least-recently-used keys evicted first (as docs/operations.md configures one)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise RuntimeError(MISSING.format("redis-server"))
    folder = Path(tempfile.mkdtemp(prefix="cockpit-redis-"))
    port, password = free_port(), secrets.token_urlsafe(16)
    (folder / "redis.conf").write_text(
        f"port {port}\nbind 127.0.0.1\ndir {folder}\nsave \"\"\nappendonly no\nrequirepass {password}\n"
        f"maxmemory 256mb\nmaxmemory-policy allkeys-lru\nlogfile {folder}/redis.log\n")
    (folder / "redis.conf").chmod(0o600)
    proc = subprocess.Popen([binary, str(folder / "redis.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        import redis
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start:\n" + (folder / "redis.log").read_text())
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
