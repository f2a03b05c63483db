"""The open API in a real cockpit process (`python app.py`, waitress) on the tiny warehouse: a
token issued with the command line, the headers as a client receives them, the per-token rate
limit, a revocation by the command line taking effect in the running server, a signed-in session
refused, and the token in no log."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from tests.cockpit_process import ROOT, cockpit_process, http_session

PER_MINUTE = 4


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cockpit.accounts", "token", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _get(url, token=None, opener=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with (opener.open if opener else urllib.request.urlopen)(request, timeout=60) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_a_real_server_answers_a_token_with_its_headers_limit_and_revocation(tiny_warehouse, tmp_path):
    env = {**os.environ, "COCKPIT_API_TOKENS": str(tmp_path / "api_tokens.sqlite"),
           "COCKPIT_API_PER_MINUTE": str(PER_MINUTE), "COCKPIT_ACCESS_LOG": str(tmp_path / "access.log"),
           "COCKPIT_URL_PREFIX": "/cockpit", "COCKPIT_AUDIT": str(tmp_path / "audit.sqlite")}
    made = _cli(env, "add", "yiwangtongguan", "--area", "220204001")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    printed = []
    with cockpit_process(tiny_warehouse, env=env, output=printed) as url:
        api = url + "api/v1/"
        status, headers, body = _get(api + "requests.json?page_size=3", token)
        assert status == 200, body
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-RateLimit-Limit"] == str(PER_MINUTE)
        assert headers["Link"].startswith("</cockpit/api/v1/requests.json?")
        assert len(json.loads(body)) == 3 and all(r["area_code"].startswith("220204001") for r in json.loads(body))
        assert "Set-Cookie" not in headers

        # the limit: a minute's allowance (one spent above), then 429 with Retry-After
        statuses = [_get(api + "services.json", token)[0] for _ in range(PER_MINUTE)]
        assert statuses == [200] * (PER_MINUTE - 1) + [429]
        status, headers, body = _get(api + "services.json", token)
        assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60 // PER_MINUTE + 1
        assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"

        # a signed-in administrator's session opens nothing here
        admin = http_session(url)
        status, headers, _ = _get(api + "services.json", opener=admin)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")

        # revoked from the command line while the server runs: refused at once
        assert _cli(env, "revoke", "yiwangtongguan").returncode == 0
        assert _get(api + "services.json", token)[0] == 401
    log = (tmp_path / "access.log").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in log.splitlines()]
    api_lines = [line for line in lines if line["handler"] == "api"]
    assert {line["page"] for line in api_lines} == {"/api/v1/requests.json", "/api/v1/services.json"}
    assert {line["account"] for line in api_lines if line["status"] == 200} == {"api:yiwangtongguan"}
    secret = token[len("gct_"):]
    assert secret not in log and secret not in printed[0]
    stores = [*tmp_path.glob("audit.sqlite*"), *tmp_path.glob("api_tokens.sqlite*")]
    assert len(stores) >= 2 and all(secret.encode() not in path.read_bytes() for path in stores)
