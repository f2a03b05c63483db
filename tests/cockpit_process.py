"""A real cockpit process (`python app.py`) on a free loopback port, for browser and HTTP tests,
with its own account store, audit log and session key in a temporary folder (or the state `env`
names: COCKPIT_DATABASE_URL, COCKPIT_SECRET_KEY_FILE, … for several servers sharing it)."""
from __future__ import annotations

import functools
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from warehouse.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TEST_PASSWORD = "test-password-1"
# the accounts every test cockpit has: (account, role, area)
TEST_ACCOUNTS = [("T-ADMIN", "区级管理员", "2202")]


@contextmanager
def cockpit_process(warehouse: Path, timeout: float = 60, env: dict | None = None,
                    accounts: list[tuple[str, str, str]] = (), test_accounts: bool = True,
                    output: list[str] | None = None, args: list[str] = (), home: Path | None = None,
                    port: int | None = None):
    """Yields the cockpit's base URL once it answers (under COCKPIT_URL_PREFIX when `env` sets
    one); stops it afterwards. Every account in TEST_ACCOUNTS (unless `test_accounts` is false)
    and `accounts` signs in with TEST_PASSWORD. `output`, if given, receives what the process
    printed, once it has stopped. `home` and `port`: the folder of its stores and key, and its
    port, to start the same cockpit again (a restart)."""
    from cockpit.accounts.store import AccountStore
    from cockpit.config import normal_prefix
    port = port or free_port()
    own_home = home is None                 # a folder made here goes with the process (its key too)
    home = home or Path(tempfile.mkdtemp(prefix="cockpit-"))
    store = AccountStore((env or {}).get("COCKPIT_DATABASE_URL") or home / "accounts.sqlite")
    for account_id, role, area in [*(TEST_ACCOUNTS if test_accounts else []), *accounts]:
        if store.get(account_id) is None:               # a second server on the same database, or a restart
            store.add(account_id, role, area, TEST_PASSWORD)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COCKPIT_ACCOUNTS": str(home / "accounts.sqlite"),
           "COCKPIT_AUDIT": str(home / "audit.sqlite"), "COCKPIT_LABELS": str(home / "labels.sqlite"),
           "COCKPIT_SECRET_KEY_FILE": str(home / "session.key"),
           **(env or {})}
    proc = subprocess.Popen([sys.executable, "app.py", "--warehouse", str(warehouse), "--port", str(port),
                             *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # read as it comes: a pipe nobody reads fills (64 KB of waitress' queue warnings under load)
    # and then blocks every thread of the server that logs
    printed: list[bytes] = []
    reader = threading.Thread(target=lambda: printed.extend(iter(proc.stdout.readline, b"")), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}{normal_prefix(env.get('COCKPIT_URL_PREFIX', ''))}/"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url + "healthz", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                reader.join(10)
                if own_home:
                    shutil.rmtree(home, ignore_errors=True)
                raise RuntimeError("cockpit did not start:\n" + b"".join(printed).decode(errors="replace"))
            time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        reader.join(10)
        if own_home:
            shutil.rmtree(home, ignore_errors=True)
        if output is not None:
            output.append(b"".join(printed).decode(errors="replace"))


def http_session(url: str, account: str = "T-ADMIN", password: str = TEST_PASSWORD,
                 jar: http.cookiejar.CookieJar | None = None):
    """A urllib opener signed in as `account` through the login form (`jar` holds the session)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        jar if jar is not None else http.cookiejar.CookieJar()))
    page = opener.open(url + "login", timeout=60).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"account": account, "password": password, "csrf": csrf, "next": "/"})
    opener.open(url + "login", data=form.encode(), timeout=60).read()
    return opener


@functools.cache
def session_cookie(url: str, account: str, password: str = TEST_PASSWORD) -> dict:
    """The session cookie of one sign-in through the login form, for a browser context."""
    jar = http.cookiejar.CookieJar()
    http_session(url, account, password, jar)
    found = [c for c in jar if c.name == "cockpit_session"]
    assert found, f"{account} was not signed in"
    return {"name": found[0].name, "value": found[0].value, "url": url}


def sign_in(page, url: str, account: str = "T-ADMIN", password: str = TEST_PASSWORD) -> None:
    """Sign a Playwright page's browser context in with a session from the login form (one
    sign-in per account and cockpit): not a big-screen render before every test's own page.
    The form itself in a browser: sign_in_with_form."""
    page.context.add_cookies([session_cookie(url, account, password)])


def sign_in_with_form(page, url: str, account: str = "T-ADMIN", password: str = TEST_PASSWORD,
                      next_path: str = "") -> None:
    """Sign in by typing into the login page, as a person does."""
    page.goto(url + "login" + (f"?next=/{next_path}" if next_path else ""))
    submit_sign_in(page, account, password)


def submit_sign_in(page, account: str, password: str) -> None:
    """Type into the login page on show and submit; wait until the page signed in to is loaded."""
    page.fill("#account", account)
    page.fill("#password", password)
    page.click("button[type=submit]")
    wait_for_url(page, lambda u: "/login" not in u)


def wait_for_url(page, matches, timeout: float = 30_000) -> None:
    """page.wait_for_url(matches) through a wall screen's navigations: one of its pollers may
    navigate again before the first navigation's "load" (Chromium then aborts the first); wait for
    the one that commits, then for its load."""
    try:
        page.wait_for_url(matches, timeout=timeout)
    except Exception as e:
        if "ERR_ABORTED" not in str(e):
            raise
        page.wait_for_url(matches, wait_until="commit", timeout=timeout)
        page.wait_for_load_state()


def post_callback(opener, url: str, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
                  state: list[tuple[str, str, object]] = (), changed: str | None = None):
    """POST what a browser posts for one callback, with any values at all (a forged request is
    just this with other values). Returns (HTTP status, the response's outputs or None)."""
    import json
    import urllib.error

    def ref(cid, prop, value):
        return {"id": cid, "property": prop, "value": value}
    body = {"output": (".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..") if len(outputs) > 1
            else f"{outputs[0][0]}.{outputs[0][1]}",
            "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": [ref(*i) for i in inputs], "state": [ref(*s) for s in state],
            "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"]}
    req = urllib.request.Request(url + "_dash-update-component", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with opener.open(req, timeout=120) as resp:
            return resp.status, (json.loads(resp.read())["response"] if resp.status == 200 else None)
    except urllib.error.HTTPError as e:
        return e.code, None
