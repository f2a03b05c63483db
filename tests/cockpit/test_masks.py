"""Personal numbers that reached the warehouse's text, in the forms people type them (spaced,
full-width, hyphenated, +86, Chinese numerals, an ID number in groups), and masks an older ETL
wrote (the ID number's last four digits, a name or phone left in clear): the cockpit shows none
of them, on any page, in any export. The served generation here is a copy of the tiny warehouse
with these planted, so the check does not depend on what the ETL of this release writes."""
import base64
import io
import json
import re

import duckdb
import pytest

from cockpit.db import Warehouse
from etl import storage
from tests.cockpit.web import client, post
from tests.conftest import served_db
from warehouse.personal import SEPARATORS, normalise_digits

# what is planted → the digits a leak would show
PLANTED = {
    "联系人 139 1234 5675": "13912345675",
    "电话１３９１２３４５６７３": "13912345673",
    "139-1234-5677转": "13912345677",
    "身份证 220204 19800101 1232": "220204198001011232",
    "+86 139 1234 5670 王先生": "13912345670",
    "一三九一二三四五六七六": "13912345676",
    "13912345671": "13912345671",
    "证件22020419800101123X": "22020419800101123X",
    "139 1234\u200b5672": "13912345672",
}
CLEAR_NAME, CLEAR_PHONE, OLD_ID_MASK = "张三丰", "13912345674", "220204********1234"
_SEP = re.compile(f"[{SEPARATORS}]")


def leaks(text: str) -> list[str]:
    """The planted numbers `text` still shows, however they are written in it."""
    flat = _SEP.sub("", normalise_digits(text)).upper()
    return [digits for digits in [*PLANTED.values(), CLEAR_PHONE] if digits in flat] + \
        ([CLEAR_NAME] if CLEAR_NAME in text else [])


@pytest.fixture(scope="module")
def planted(tiny_warehouse, tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "planted.duckdb"
    storage.single_file(served_db(tiny_warehouse), path)
    with duckdb.connect(str(path)) as con:
        recent = [r[0] for r in con.execute(
            "SELECT event_id FROM core.events ORDER BY reported_at DESC, event_id LIMIT ?", [len(PLANTED)]).fetchall()]
        for event_id, text in zip(recent, PLANTED):
            con.execute("UPDATE core.events SET address = ?, description = ? WHERE event_id = ?", [text, text, event_id])
        addresses = [r[0] for r in con.execute(
            "SELECT DISTINCT address_id FROM core.persons ORDER BY address_id LIMIT ?", [len(PLANTED)]).fetchall()]
        for address_id, text in zip(addresses, PLANTED):
            con.execute("UPDATE core.addresses SET address = ? WHERE address_id = ?", [text, address_id])
        con.execute("UPDATE core.persons SET name_masked = ?, phone_masked = ?, id_number_masked = ? "
                    "WHERE address_id = ?", [CLEAR_NAME, CLEAR_PHONE, OLD_ID_MASK, addresses[0]])
    return path


@pytest.fixture
def served(world, planted, monkeypatch):
    monkeypatch.setitem(world["app"].server.config, "COCKPIT_WAREHOUSE", Warehouse(planted))
    return world


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_the_explorer_table_and_exports_show_no_planted_number(served):
    c = client(served, "admin")
    status, out = post(c, served, "explorer-table", {})
    shown = _text(out["explorer-table.rowData"])
    assert status == 200 and "139****5675" in shown and "220204************" in shown    # they are there, masked
    assert leaks(shown) == []
    status, out = post(c, served, "explorer-download", {("explorer-csv", "n_clicks"): 1})
    csv_text = base64.b64decode(out["explorer-download.data"]["content"]).decode("utf-8-sig")
    assert status == 200 and "139****5677" in csv_text and leaks(csv_text) == []
    status, out = post(c, served, "explorer-download", {("explorer-xlsx", "n_clicks"): 1}, "explorer-xlsx.n_clicks")
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(base64.b64decode(out["explorer-download.data"]["content"]))).active
    cells = " | ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    assert status == 200 and "139****5670" in cells and leaks(cells) == []


def test_the_register_shows_the_shared_masks_whatever_the_etl_wrote(served):
    c = client(served, "admin")
    status, out = post(c, served, "people-table", {})
    rows = out["people-table.rowData"]
    assert status == 200 and len(rows) == 20 and leaks(_text(rows)) == []
    assert all(re.fullmatch(r"\d{6}\*{12}", r["id_number_masked"]) for r in rows)   # the issuing area only
    status, out = post(c, served, "people-table", {("people-address", "value"): "联系人"})
    rows = out["people-table.rowData"]
    assert rows and leaks(_text(rows)) == []
    assert {(r["name_masked"], r["phone_masked"], r["id_number_masked"]) for r in rows} == \
        {("张**", "139****5674", "220204" + "*" * 12)}


def test_no_answer_of_any_callback_shows_a_planted_number(served):
    """Every server-side callback, posted as the administrator would trigger it first."""
    c = client(served, "admin")
    seen = []
    for key, spec in served["app"].callback_map.items():
        if spec.get("callback") is None or any(i["id"].startswith("{") for i in spec["inputs"]):
            continue
        output = key[2:].split(".")[0] if key.startswith("..") else key.split(".")[0]
        status, out = post(c, served, output, {})
        assert status in (200, 204), key
        if out:
            seen.append((key, leaks(_text(out))))
    assert len(seen) > 30 and [s for s in seen if s[1]] == []

