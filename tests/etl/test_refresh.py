"""The refresh on tiny data: every row loaded or quarantined with its reason, no personal data in
clear, and a failed run leaves the published warehouse as it was."""
import csv
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl import contract, runlog
from etl.geo.crs import wgs84_to_gcj02
from etl.load.extract import SourceError
from etl.refresh import refresh
from etl.run import PublishRefused, PublishRules
from tests.conftest import served_db


def _csv_rows(path, encoding="utf-8"):
    with open(path, encoding=encoding, newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def test_table_rows_equal_file_rows(tiny_source, tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    for spec in contract.CSV_SOURCES:
        assert con.execute(f"SELECT count(*) FROM core.{spec.table}").fetchone()[0] == \
            len(_read(tiny_source / spec.file)), spec.file
    import json
    for level, file in contract.AREA_LAYERS.items():
        n = len(json.loads((tiny_source / file).read_text(encoding="utf-8"))["features"])
        assert con.execute("SELECT count(*) FROM core.areas WHERE level = ?", [level]).fetchone()[0] == n
    log = con.execute("SELECT file, rows_in, rows_loaded, rows_quarantined FROM ops.load_log").df()
    assert (log["rows_in"] == log["rows_loaded"] + log["rows_quarantined"]).all()
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchone()[0] == 0


def _read(path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str).fillna("")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_no_personal_data_in_clear(tiny_source, tiny_db):
    """No full ID number or phone inside any text of any table, no name as a whole value:
    a sample of every source's personal columns (persons, volunteers, accounts, contacts)."""
    ids_and_phones, names = set(), set()
    for spec in contract.CSV_SOURCES:
        personal = [c for c in spec.columns if c.personal]
        if personal:
            rows = _read(tiny_source / spec.file)
            rows = rows.sample(min(300, len(rows)), random_state=1)
            for c in personal:
                values = set(rows[c.header]) - {""}
                (names if c.name.endswith("name") else ids_and_phones).update(values)
    assert len(names) > 500 and len(ids_and_phones) > 500
    ids_and_phones, names = sorted(ids_and_phones), sorted(names)
    con = duckdb.connect(str(tiny_db), read_only=True)
    # every schema but the vault's sealed bytes
    columns = con.execute("SELECT schema_name || '.' || table_name, column_name FROM duckdb_columns() "
                          "WHERE data_type = 'VARCHAR' AND NOT internal AND schema_name <> 'secure'").fetchall()
    assert {t.split(".")[0] for t, _ in columns} == {"core", "mart", "warning", "ops"}
    for table, column in columns:
        # every 11- and 18-character window of each run of digits (and X) against the numbers:
        # a hash join, where `contains` over every pair would be a cross product
        found = con.execute(f"""
            WITH runs AS (SELECT unnest(regexp_extract_all("{column}", '[0-9Xx]{{11,}}')) AS r FROM {table}),
            windows AS (SELECT substr(r, i, 11) AS w FROM runs, range(1, length(r) - 9) t(i)
                        UNION ALL SELECT substr(r, i, 18) FROM runs, range(1, length(r) - 16) t(i))
            SELECT (SELECT count(*) FROM windows WHERE w IN (SELECT unnest(?::VARCHAR[])))
                 + (SELECT count(*) FROM {table} WHERE "{column}" IN (SELECT unnest(?::VARCHAR[])))""",
            [ids_and_phones, names]).fetchall()[0][0]
        assert found == 0, (table, column)
    masked = con.execute("SELECT id_number_masked, name_masked FROM core.persons LIMIT 1").fetchone()
    assert "********" in masked[0] and "*" in masked[1]
    # the mask keeps region and last four: a full birth date beside it would give the ID back
    person_columns = {c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'persons'").fetchall()}
    assert "birth_date" not in person_columns and "birth_year" in person_columns


@pytest.fixture
def dirty_source(tiny_source, tmp_path):
    """The tiny data with a handful of known defects, one per rule."""
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    p = pd.read_csv(src / "persons.csv", dtype=str, keep_default_na=False)
    p.loc[0, "公民身份号码"] = p.loc[0, "公民身份号码"][:17] + ("0" if p.loc[0, "公民身份号码"][17] != "0" else "1")
    p.loc[1, "网格编码"] = "220204999999999"
    p.loc[2, "出生日期"] = "not a date"
    p.loc[3, "户编号"] = "H-NOWHERE"
    p.loc[5, "联系电话"] = "12345"
    p = pd.concat([p, p.iloc[[10]]])                       # a duplicate key
    p.to_csv(src / "persons.csv", index=False, encoding="gb18030")   # and another encoding
    e = pd.read_csv(src / "events.csv", dtype=str, keep_default_na=False)
    e.loc[0, "结案时间"] = "2020-01-01 00:00:00"            # closed before it was reported
    e.loc[4, "上报时间"] = "2062-10-31 00:00:00"            # a typo in the future
    e.loc[1, "小类代码"] = "9999"
    e.loc[2, "经度"], e.loc[2, "纬度"] = "0", "0"
    e.loc[3, "事件编号"] = ""
    e.to_csv(src / "events.csv", index=False)
    # references to rows that do not exist (an empty optional one is fine)
    for file, header, value in (("houses.csv", "地址编码", "DZ-NOWHERE"), ("volunteers.csv", "服务队编号", "ZYD-NONE"),
                                ("service_activities.csv", "项目编号", "XM-NONE"),
                                ("needs.csv", "社区编码", "220204999999")):
        f = pd.read_csv(src / file, dtype=str, keep_default_na=False)
        f.loc[0, header] = value
        if file == "service_activities.csv":
            f.loc[1, "志愿服务队编号"] = ""
        f.to_csv(src / file, index=False)
    return src, len(p), len(e)


def test_defects_are_quarantined_with_their_rule(dirty_source, key_file, tmp_path):
    src, n_persons, n_events = dirty_source
    refresh(src, tmp_path / "wh", key_file)
    db = served_db(tmp_path / "wh")
    con = duckdb.connect(str(db), read_only=True)
    q = con.execute("SELECT file, line, rule FROM ops.quarantine").df()
    rules = set(zip(q["file"], q["line"], q["rule"]))
    assert ("persons.csv", 2, "id_check_digit") in rules
    assert ("persons.csv", 3, "unknown_grid") in rules
    assert ("persons.csv", 4, "type_date") in rules
    assert ("persons.csv", 5, "unknown_household") in rules
    assert ("persons.csv", n_persons + 1, "duplicate_key") in rules
    assert ("events.csv", 2, "stage_order") in rules
    assert ("events.csv", 6, "in_future") in rules
    assert ("persons.csv", 7, "phone_format") in rules
    assert ("events.csv", 3, "unknown_category") in rules
    assert ("events.csv", 4, "outside_china") in rules
    assert ("events.csv", 5, "required") in rules
    for file, rule in (("houses.csv", "unknown_address"), ("volunteers.csv", "unknown_team"),
                       ("service_activities.csv", "unknown_project"), ("needs.csv", "unknown_community")):
        assert {r for f, line, r in rules if f == file} == {rule}
        assert (file, 2, rule) in rules
    log = con.execute("SELECT * FROM ops.load_log").df().set_index("file")
    assert log.loc["persons.csv", "encoding"] == "gb18030"
    assert log.loc["persons.csv", "rows_in"] == n_persons
    assert log.loc["persons.csv", "rows_quarantined"] == 6
    assert log.loc["events.csv", "rows_quarantined"] == 5
    # the future typo did not drag the as-of instant along
    assert con.execute("SELECT as_of < now() FROM ops.meta").fetchone()[0]
    assert (log["rows_in"] == log["rows_loaded"] + log["rows_quarantined"]).all()
    # the quarantined ID number is masked, never stored in full
    raw = q.merge(con.execute("SELECT line, raw_value FROM ops.quarantine WHERE rule = 'id_check_digit'").df())
    assert raw["raw_value"].str.contains(r"\*{8}").all()


def test_failed_refresh_keeps_the_served_generation(tiny_source, tiny_warehouse, key_file, tmp_path):
    warehouse = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, warehouse)
    before = {p.name: p.read_bytes() for p in warehouse.rglob("*.duckdb")}
    pointer = (warehouse / "CURRENT").read_bytes()
    broken = tmp_path / "broken"
    shutil.copytree(tiny_source, broken)
    (broken / "events.csv").write_text("事件编号,别的列\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="缺少列"):
        refresh(broken, warehouse, key_file)
    assert (warehouse / "CURRENT").read_bytes() == pointer
    assert {p.name: p.read_bytes() for p in warehouse.rglob("*.duckdb")} == before
    last = runlog.runs(warehouse)[0]
    assert (last["status"], last["exit_code"]) == ("failed", 2) and "缺少列" in last["error"]


def test_an_unclosed_quote_costs_its_own_line_only(tiny_source, key_file, tmp_path):
    """An open quote on line 12, a legally quoted field on line 16: line 12 is quarantined, every
    other line loads (the reader re-synchronises on the next well-formed record)."""
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    lines = (src / "households.csv").read_text(encoding="utf-8").split("\n")
    lines[11] = lines[11].replace(",", ',"', 1)          # an open quote on line 12
    fields = lines[15].split(",")
    fields[3] = '"' + fields[3] + ',东门"'                # a quoted field with a comma on line 16
    lines[15] = ",".join(fields)
    (src / "households.csv").write_text("\n".join(lines), encoding="utf-8")
    refresh(src, tmp_path / "wh", key_file)
    con = duckdb.connect(str(served_db(tmp_path / "wh")), read_only=True)
    q = con.execute("SELECT line, rule FROM ops.quarantine WHERE file = 'households.csv'").fetchall()
    assert q == [(12, "malformed_line:unclosed_quote")]
    n = _csv_rows(tiny_source / "households.csv")
    assert con.execute("SELECT rows_in, rows_loaded, lines_in FROM ops.load_log WHERE file = 'households.csv'"
                       ).fetchone() == (n, n - 1, n)
    assert con.execute("SELECT address FROM core.households WHERE household_id = ?",
                       [fields[0]]).fetchone()[0].endswith(",东门")


def test_malformed_lines_are_quarantined_not_lost(tiny_source, key_file, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    with open(src / "events.csv", "a", encoding="utf-8") as f:
        f.write('SJX,网格员巡查,01,市容环境\n')            # too few fields
        f.write('SJY,"随手拍,01')                            # truncated last line, open quote
    n_rows = _csv_rows(tiny_source / "events.csv")
    refresh(src, tmp_path / "wh", key_file)
    db = served_db(tmp_path / "wh")
    con = duckdb.connect(str(db), read_only=True)
    q = con.execute("SELECT line, rule FROM ops.quarantine WHERE file = 'events.csv' ORDER BY line").fetchall()
    assert [line for line, _ in q] == [n_rows + 2, n_rows + 3]
    assert all(rule.startswith("malformed_line:") for _, rule in q)
    rows_in, loaded = con.execute("SELECT rows_in, rows_loaded FROM ops.load_log WHERE file = 'events.csv'").fetchone()
    assert (rows_in, loaded) == (n_rows + 2, n_rows)


def test_a_site_mapping_renames_and_declares_gcj02(tiny_source, key_file, tmp_path):
    """A site's exports: the events file and two headers named otherwise, coordinates in GCJ-02;
    the mapping file says so, and the refresh loads every row, converted to WGS-84."""
    src = tmp_path / "src"
    shutil.copytree(tiny_source, src)
    events = pd.read_csv(src / "events.csv", dtype=str, keep_default_na=False)
    lon, lat = wgs84_to_gcj02(events["经度"].astype(float).to_numpy(), events["纬度"].astype(float).to_numpy())
    shifted = events.assign(经度=[f"{x:.6f}" for x in lon], 纬度=[f"{y:.6f}" for y in lat])
    shifted.to_csv(src / "events.csv", index=False)
    site = tmp_path / "site"
    shutil.copytree(src, site)
    (site / "events.csv").rename(site / "事件导出.csv")
    text = (site / "事件导出.csv").read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    (site / "事件导出.csv").write_text(first.replace("事件编号", "案件编号").replace("上报时间", "发现时间")
                                        + "\n" + rest, encoding="utf-8")
    mapping = tmp_path / "site.toml"
    mapping.write_text('[files]\nevents = "事件导出.csv"\n\n[headers.events]\n'
                       'event_id = "案件编号"\nreported_at = "发现时间"\n\n[crs]\nevents = "GCJ-02"\n',
                       encoding="utf-8")
    refresh(site, tmp_path / "declared", key_file, mapping)
    con = duckdb.connect(str(served_db(tmp_path / "declared")), read_only=True)
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall()[0][0] == 0
    got = con.execute("SELECT event_id, lon, lat FROM core.events").df().set_index("event_id")
    assert len(got) == len(events)
    want = events.set_index("事件编号")[["经度", "纬度"]].astype(float).loc[got.index]
    assert np.abs(got["lon"].to_numpy() - want["经度"].to_numpy()).max() < 2e-6
    assert np.abs(got["lat"].to_numpy() - want["纬度"].to_numpy()).max() < 2e-6
    # undeclared, the same file puts points outside their grids: the refresh refuses to publish
    with pytest.raises(PublishRefused, match="events.csv"):
        refresh(src, tmp_path / "undeclared", key_file, rules=PublishRules(max_quarantine_share=0.001))
    runs = runlog.runs(tmp_path / "undeclared")
    assert runs[0]["status"] == "rejected"


def test_every_table_is_in_the_schema_of_its_layer_as_the_contract_says(tiny_db):
    """Every table and view of a generation is in one of the five schemas, none in `main`, and
    where docs/data-contract.md ("What a generation holds") says: the contract is the table."""
    import re

    from warehouse.generations import SCHEMAS
    from warehouse.paths import ROOT
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        built = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {name.split(".")[0] for name in built} == set(SCHEMAS)
    doc = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    section = doc.split("## What a generation holds", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {f"{s}.{t}" for row in rows for s, t in re.findall(r"`(\w+)\.(\w+)`", row.split("|")[3])
                  if s in SCHEMAS}
    assert [row.split("`")[1] for row in rows] == list(SCHEMAS)
    # warning.quality: only once `evaluate-warnings --save` saved a replay's measures
    assert built == documented - {"warning.quality"}
