"""`python app.py` as a server starts it: demo accounts only on the generation `make run` built
from the generator (or with --demo); any other warehouse with an empty account store serves no
data and prints how to create the first administrator; a configured warehouse that does not exist
is never filled with demo data."""
import json
import shutil
import urllib.error
import urllib.request

import pytest

from cockpit.accounts.store import AccountStore
from etl.publish.generations import point_to
from tests.cockpit_process import cockpit_process, http_session
from warehouse import generations

DEMO_PASSWORD = "demo-2026"


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _signed_in(url: str, account: str, password: str) -> bool:
    opener = http_session(url, account, password)
    with opener.open(url, timeout=60) as r:           # the big screen, not the login form
        return "/login" not in r.url


@pytest.fixture
def demo_copy(tiny_warehouse, tmp_path):
    """A copy of the tiny warehouse marked as app.py marks the demo warehouse it builds."""
    from app import DEMO_MARKER
    wh = tmp_path / "warehouse"
    shutil.copytree(tiny_warehouse, wh)
    (wh / DEMO_MARKER).write_text(json.dumps({"generation": generations.current(wh).id}), encoding="utf-8")
    return wh


def test_a_real_warehouse_with_no_account_serves_nothing_and_says_how_to_begin(tiny_warehouse, tmp_path):
    out, accounts = [], tmp_path / "accounts.sqlite"
    with cockpit_process(tiny_warehouse, test_accounts=False, output=out,
                         env={"COCKPIT_ACCOUNTS": str(accounts)}) as url:
        status, page = _status(url)
        assert status == 503 and "python -m cockpit.accounts add" in page
        assert _status(url + "_dash-layout")[0] == 503
        assert _status(url + "healthz")[0] == 200
        assert AccountStore(accounts).list() == []                  # no demo account was made
    assert "-m cockpit.accounts add 管理员账号 --role 区级管理员 --area 220204" in out[0]
    assert DEMO_PASSWORD not in out[0]


def test_demo_accounts_only_on_the_generation_the_demo_build_made(demo_copy, tmp_path):
    with cockpit_process(demo_copy, test_accounts=False,
                         env={"COCKPIT_ACCOUNTS": str(tmp_path / "demo.sqlite")}) as url:
        assert _signed_in(url, "admin", DEMO_PASSWORD)
    # real exports refreshed into the same folder serve another generation: not the demo any more
    older = generations.published(demo_copy)[0]
    assert older.id != generations.current(demo_copy).id
    point_to(demo_copy, older)
    accounts = tmp_path / "real.sqlite"
    with cockpit_process(demo_copy, test_accounts=False, env={"COCKPIT_ACCOUNTS": str(accounts)}) as url:
        assert _status(url)[0] == 503
    assert AccountStore(accounts).list() == []


def test_the_demo_flag_makes_demo_accounts_on_any_warehouse(tiny_warehouse, tmp_path):
    accounts = tmp_path / "accounts.sqlite"
    with cockpit_process(tiny_warehouse, test_accounts=False, args=["--demo"],
                         env={"COCKPIT_ACCOUNTS": str(accounts)}) as url:
        assert _signed_in(url, "analyst", DEMO_PASSWORD)
    from cockpit.accounts.__main__ import DEMO
    assert sorted(row[0] for row in AccountStore(accounts).list()) == sorted(a for a, _, _ in DEMO)


def test_a_configured_warehouse_that_does_not_exist_is_not_filled_with_demo_data(tmp_path):
    out, missing = [], tmp_path / "srv" / "warehouse"
    with cockpit_process(missing, output=out) as url:
        assert _status(url + "healthz")[0] == 200
        status, ready = _status(url + "readyz")
        assert status == 503 and json.loads(ready)["generation"] is None
    assert not (missing / generations.POINTER).exists()
    assert "python -m etl refresh" in out[0] and "首次运行" not in out[0]
