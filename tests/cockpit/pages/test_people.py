"""实有人口 and the one privileged action that shows a resident in full: masked lists inside the
account's area, a reason required, the record opened from the ETL's sealed copy, every opening
audited, capped per hour, refused outside the area and to roles that may not."""
import csv
import json
import re

import duckdb

from tests.cockpit.web import UNMASK_PER_HOUR, client, post
from tests.conftest import served_db

TABLE = "people-table.rowData"


def _people(c, world, area=None, address=None):
    status, out = post(c, world, TABLE, {("people-area", "value"): area, ("people-address", "value"): address})
    assert status == 200
    total = int(re.search(r"共 ([\d,]+) 人", out["people-count.children"]).group(1).replace(",", ""))
    return total, out[TABLE]


def _unmask(c, world, person_id, reason, changed="people-unmask.n_clicks"):
    """Post the button's callback as a browser would, with `person_id` as the selected row (or,
    with `changed`, as another of its inputs would trigger it)."""
    status, out = post(c, world, "people-full", {("people-unmask", "n_clicks"): 1,
                                                 ("people-table", "selectedRows"): [{"person_id": person_id,
                                                                                     "name_masked": "x*"}],
                                                 ("people-reason", "value"): reason}, changed)
    return status, json.dumps(out, ensure_ascii=False) if out else ""


def _sql(tiny_warehouse, query, params=()):
    with duckdb.connect(str(served_db(tiny_warehouse)), read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def _source_person(tiny_source, person_id) -> dict:
    with open(tiny_source / "persons.csv", encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["人员编号"] == person_id)


def test_the_list_is_masked_and_limited_to_the_area(world, tiny_warehouse):
    street = world["roles"]["street"][1]
    admin_total, rows = _people(client(world, "admin"), world)
    assert admin_total == _sql(tiny_warehouse, "SELECT count(*) FROM core.persons")[0][0]
    assert rows and all("*" in r["name_masked"] and "********" in r["id_number_masked"] for r in rows)
    mine = client(world, "street")
    own, _ = _people(mine, world)
    assert own == _sql(tiny_warehouse, "SELECT count(*) FROM core.persons WHERE starts_with(grid_code, ?)",
                       [street])[0][0] < admin_total
    for forged in ("2202", world["other_street"], "' OR 1=1 --"):
        assert _people(mine, world, forged)[0] == own, forged
    assert post(mine, world, TABLE, {("people-area", "value"): ["2202"]})[0] == 400
    # the address filter narrows; the page's count line says how many match
    address = rows[0]["address"]
    n, found = _people(client(world, "admin"), world, address=address)
    assert n == _sql(tiny_warehouse, "SELECT count(*) FROM core.persons p JOIN core.addresses a USING (address_id) "
                                     "WHERE contains(a.address, ?)", [address])[0][0]
    assert n >= 1 and all(address in r["address"] for r in found)


def test_one_record_in_full_needs_a_reason_and_is_audited(world, tiny_source):
    c = client(world, "community")
    _, rows = _people(c, world)
    person_id = rows[0]["person_id"]
    source = _source_person(tiny_source, person_id)
    audit = world["app"].server.config["COCKPIT_AUDIT"]

    status, shown = _unmask(c, world, person_id, "  ")
    assert status == 200 and "请填写查看理由" in shown and source["公民身份号码"] not in shown
    assert audit.recent(10, "unmask", "community").empty

    status, shown = _unmask(c, world, person_id, "入户走访核实联系方式")
    assert status == 200
    for column in ("姓名", "公民身份号码", "联系电话"):
        assert source[column] in shown, column
    assert json.loads(shown)["people-full-timer.disabled"] is False        # its clock starts
    record = audit.recent(10, "unmask", "community").iloc[0]
    assert person_id in record["detail"] and "入户走访核实联系方式" in record["detail"]
    assert source["公民身份号码"] not in record["detail"] and source["姓名"] not in record["detail"]

    # the clock runs out: the record leaves the screen and the clock stops
    status, hidden = _unmask(c, world, person_id, "入户走访核实联系方式", changed="people-full-timer.n_intervals")
    assert status == 200 and json.loads(hidden)["people-full-timer.disabled"] is True
    assert "完整信息已隐藏" in hidden and source["公民身份号码"] not in hidden and source["姓名"] not in hidden
    assert len(audit.recent(10, "unmask", "community")) == 1             # hiding opened nothing


def test_a_record_outside_the_area_is_refused_and_audited(world, tiny_warehouse, tiny_source):
    community = world["roles"]["community"][1]
    outside = _sql(tiny_warehouse, "SELECT min(person_id) FROM core.persons WHERE NOT starts_with(grid_code, ?)",
                   [community])[0][0]
    status, shown = _unmask(client(world, "community"), world, outside, "入户走访核实联系方式")
    assert status == 200 and "不在您的辖区内" in shown
    assert _source_person(tiny_source, outside)["公民身份号码"] not in shown
    denied = world["app"].server.config["COCKPIT_AUDIT"].recent(5, "denied", "community")
    assert outside in denied.iloc[0]["detail"]


def test_analysts_and_departments_cannot_open_the_page_or_its_action(world, tiny_warehouse):
    person_id = _sql(tiny_warehouse, "SELECT min(person_id) FROM core.persons")[0][0]
    for role in ("analyst", "department"):
        c = client(world, role)
        assert c.get("/people").status_code == 302
        assert post(c, world, TABLE, {})[0] == 403
        assert _unmask(c, world, person_id, "入户走访核实联系方式")[0] == 403


def test_openings_are_capped_per_hour(world, tiny_warehouse):
    store = world["app"].server.config["COCKPIT_ACCOUNTS"]
    store.add("busy", "专职网格员", world["roles"]["grid"][1], "busy-password-1")
    c = client(world, "busy", "busy-password-1")
    person_id = _people(c, world)[1][0]["person_id"]
    for _ in range(UNMASK_PER_HOUR):
        assert "已记入审计日志" in _unmask(c, world, person_id, "核实独居老人联系方式")[1]
    status, shown = _unmask(c, world, person_id, "核实独居老人联系方式")
    assert "上限" in shown and "已记入审计日志" not in shown
    assert len(world["app"].server.config["COCKPIT_AUDIT"].recent(50, "unmask", "busy")) == UNMASK_PER_HOUR


def test_the_area_filter_lists_grids_below_the_city_only(world, tiny_warehouse):
    grids = {c for (c,) in _sql(tiny_warehouse, "SELECT code FROM core.areas WHERE level = 'grid'")}
    for account, lists_grids in (("admin", False), ("leader", True)):
        status, out = post(client(world, account), world, "people-area.options", {})
        values = {o["value"] for o in out["people-area.options"]}
        assert status == 200 and bool(values & grids) == lists_grids, account
        assert len(values) > 1


def test_listing_the_register_is_audited_and_capped(world, monkeypatch):
    """Who listed which area and how many rows; past the hourly number of pages, nothing."""
    from dataclasses import replace
    config = world["app"].server.config
    monkeypatch.setitem(config, "COCKPIT_SETTINGS", replace(config["COCKPIT_SETTINGS"], people_pages_per_hour=5))
    grid = world["roles"]["grid"][1]
    config["COCKPIT_ACCOUNTS"].add("pager", "专职网格员", grid, "pager-password-1")
    c = client(world, "pager", "pager-password-1")
    for page in range(5):        # the page shown, again (as a new generation asks)
        status, out = post(c, world, TABLE, {("people-page", "data"): page}, "frame-generation.data")
        assert status == 200 and len(out[TABLE]) == 20 and out["people-page.data"] == page, page
    status, out = post(c, world, TABLE, {("people-page", "data"): 4}, "people-next.n_clicks")
    assert status == 200 and out[TABLE] == [] and "上限" in out["people-count.children"]
    audit = config["COCKPIT_AUDIT"]
    listed = audit.recent(10, "list_people", "pager")
    assert len(listed) == 5 and all(f"区域 {grid}" in d and "本页 20 行" in d for d in listed["detail"])
    assert "第 1/" in listed["detail"].iloc[-1] and "第 5/" in listed["detail"].iloc[0]
    assert len(audit.recent(10, "throttled", "pager")) == 1


def test_a_parallel_burst_opens_no_more_than_the_cap(world):
    """Thirty requests at once (each its own browser holding the same session): the cap is
    counted and recorded in one transaction, so exactly the cap of them open the record."""
    import threading
    store = world["app"].server.config["COCKPIT_ACCOUNTS"]
    store.add("burst", "专职网格员", world["roles"]["grid"][1], "burst-password-1")
    first = client(world, "burst", "burst-password-1")
    person_id = _people(first, world)[1][0]["person_id"]
    cookie = first.get_cookie("cockpit_session").value
    start, results = threading.Barrier(30), []

    def open_once():
        c = world["app"].server.test_client()
        c.set_cookie("cockpit_session", cookie)
        start.wait()
        results.append(_unmask(c, world, person_id, "核实独居老人联系方式")[1])
    threads = [threading.Thread(target=open_once) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    opened = sum("已记入审计日志" in r and "上限" not in r for r in results)
    audit = world["app"].server.config["COCKPIT_AUDIT"]
    assert opened == UNMASK_PER_HOUR == len(audit.recent(100, "unmask", "burst"))
    assert audit.verify().ok


def test_a_reason_needs_real_characters_and_is_stored_scrubbed(world, tiny_source):
    store = world["app"].server.config["COCKPIT_ACCOUNTS"]
    store.add("reasoner", "专职网格员", world["roles"]["grid"][1], "reason-password-1")
    c = client(world, "reasoner", "reason-password-1")
    person_id = _people(c, world)[1][0]["person_id"]
    for empty in ("\u200b\u200b\u200b\u200b", "\u200b \u2060\ufeff\u200d\u00a0", "。。。。", "a\u200bb\u200b"):
        status, shown = _unmask(c, world, person_id, empty)
        assert status == 200 and "请填写查看理由" in shown, repr(empty)
    typed = "核实身份证 220204 19800101 1232 与电话１３９１２３４５６７３\u200b是否一致"
    status, shown = _unmask(c, world, person_id, typed)
    assert status == 200 and "已记入审计日志" in shown
    detail = world["app"].server.config["COCKPIT_AUDIT"].recent(1, "unmask", "reasoner").iloc[0]["detail"]
    assert detail.endswith("理由：核实身份证 220204************ 与电话139****5673是否一致")
    status, out = post(client(world, "admin"), world, "audit-table", {("audit-account", "value"): "reasoner"})
    assert "19800101" not in json.dumps(out, ensure_ascii=False) and "1234567" not in json.dumps(out)
