"""预警研判 callbacks without a browser: the screen, incidents, map and course equal SQL on the
tiny warehouse's warning tables; an area account sees only what its jurisdiction holds; and the
研判 loop: a label is checked against the jurisdiction on the server, stored with the incident's
area, scrubbed, audited, seen by others in scope and counted in the precision by week."""
import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from cockpit import ids
from cockpit.app import create_app
from cockpit.config import Settings
from cockpit.db import Warehouse
from cockpit.labels import SCHEMA, LabelError, LabelStore, store as label_store
from cockpit.scope import CITY, Scope
from etl import storage
from etl.publish.generations import publish, start
from etl.run import new_run_id
from tests.cockpit import as_figures, signed_in
from tests.cockpit.expected import warning_map
from tests.cockpit.web import client, post
from warehouse import generations

GENERATION = (ids.GENERATION, "data")


@pytest.fixture(scope="module")
def app(tiny_warehouse, tmp_path_factory):
    home = tmp_path_factory.mktemp("warning")
    return create_app(Settings(warehouse=tiny_warehouse, audit=home / "audit.sqlite",
                               labels=home / "labels.sqlite", accounts=home / "accounts.sqlite"))


@pytest.fixture(scope="module")
def db(tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    yield con
    con.close()


def _incidents(db, prefix):
    """The incidents a scope sees, by plain SQL on the bridge."""
    return db.execute("""SELECT * FROM warning.incidents i WHERE incident_id IN
                           (SELECT incident_id FROM warning.incident_areas WHERE starts_with(area_code, ?))""",
                      [prefix]).df()


def _has_quality(db):
    return db.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'warning' AND table_name = 'quality'").fetchall()[0][0] > 0


def _rows(table) -> tuple[list[dict], list[str]]:
    """A warning table's rows (records) and column fields: the grid inside its Div."""
    data_table = table.children[0]
    return data_table.rowData, [c["field"] for c in data_table.columnDefs]


def _screen(incidents):
    today = incidents[incidents["on_screen"]]
    return today[today["kind"] != "drop"], today[today["kind"] == "drop"]


def test_city_screen_equals_sql(app, db):
    from cockpit.pages import warning as page
    incidents = _incidents(db, CITY.code)
    others, drops = _screen(incidents)
    assert len(incidents) > 0 and len(others) + len(drops) > 0, "the tiny data should have today's incidents"
    with signed_in(app):
        out = page.refresh_warning(0, 0, None)
    shown, new, ongoing, n_drops, marked, note, screen, all_table, quality, options, value = (
        out[k] for k in ("shown", "new", "ongoing", "drops", "marked", "note", "screen", "incidents", "quality",
                         "options", "value"))
    assert shown == f"{len(others) + len(drops):,}" and n_drops == f"{len(drops):,}"
    assert new == f"{int(others['new'].sum()):,}" and ongoing == f"{int((~others['new']).sum()):,}"
    assert note is None and marked == "0"
    rows, columns = _rows(screen)
    ordered = others.sort_values(["new", "rank"], ascending=[False, True])
    assert [r["reason"] for r in rows] == list(ordered["reason"])          # new first, then by rank
    assert columns.index("state") < columns.index("reason") and "label" in columns
    assert {r["label"] for r in rows} == {"待研判"}
    assert len(_rows(all_table)[0]) == min(len(incidents), page.SHOWN_ROWS)
    assert {o["value"] for o in options} == set(incidents["incident_id"])
    assert value == options[0]["value"]
    assert (page.NO_QUALITY in str(quality)) != _has_quality(db)


def test_no_row_of_the_screen_repeats_an_incident_or_breaks_the_budget(db):
    from etl.warning.settings import DEFAULT_FILE, load
    s = load(DEFAULT_FILE)
    per_day = db.execute("""SELECT day, count(*) FILTER (on_screen) AS shown,
                                   count(*) FILTER (on_screen AND kind = 'drop') AS drops,
                                   count(*) - count(DISTINCT incident_id) AS repeated
                            FROM warning.screen GROUP BY day""").df()
    assert per_day["shown"].max() <= s.max_items and per_day["drops"].max() <= s.max_drop_items
    assert per_day["repeated"].max() == 0


def test_incident_course_equals_sql(app, db):
    from cockpit.pages import warning as page
    row = _incidents(db, CITY.code).sort_values("alerts", ascending=False).iloc[0]
    days = db.execute("SELECT * FROM warning.incident_days WHERE incident_id = ? ORDER BY day",
                      [row["incident_id"]]).df()
    alerts = db.execute("SELECT * FROM warning.alerts WHERE incident_id = ?", [row["incident_id"]]).df()
    with signed_in(app):
        out = as_figures(page.refresh_incident(row["incident_id"], 0, 0))
    figure, review, alert_table, targets, target, history = (
        out[k] for k in ("timeline", "review", "alerts", "targets", "target", "history"))
    traces = {t.name: t for t in figure.data}
    assert list(traces["上报"].y) == pytest.approx(list(days["reported"]))
    assert list(traces["基线预期"].y) == pytest.approx(list(days["expected"]))
    assert list(traces["日末在办"].y) == list(days["open_end"])
    text = str(review)
    assert f"{abs(row['excess']):,.1f} 件（95% 区间 {row['excess_low']:,.1f}–{row['excess_high']:,.1f}）" in text
    assert row["reason"] in text
    assert len(_rows(alert_table)[0]) == min(len(alerts), page.SHOWN_ROWS)
    assert [t["value"] for t in targets] == [page.WHOLE] + list(
        alerts.sort_values(["day", "score", "alert_id"], ascending=[False, False, True])["alert_id"])
    assert target == page.WHOLE and "尚无研判记录" in str(history)
    with signed_in(app):
        forged = as_figures(page.refresh_incident("YJ' OR '1'='1", 0, 0))
    assert forged["review"] is None and forged["targets"] == []
    assert forged["timeline"].layout.annotations[0].text == page.fig.NO_INCIDENT


def test_map_shades_areas_and_marks_todays_grids_as_sql(app, db):
    from cockpit.pages import warning as page
    incidents = _incidents(db, CITY.code)
    codes, inside, hot = warning_map(db, CITY.code, 9)         # streets for the whole city
    incident = incidents.sort_values(["on_screen", "alerts"], ascending=False).iloc[0]
    grids = set(db.execute("SELECT grid_code FROM warning.incident_grids WHERE incident_id = ?",
                           [incident["incident_id"]]).df()["grid_code"])
    with signed_in(app):
        figure = as_figures(page.refresh_map(incident["incident_id"], None))
    base, hot_grids, outline = figure.data
    assert list(base.locations) == codes and list(base.z) == inside
    assert set(hot_grids.locations) == hot
    assert {f["properties"]["code"] for f in hot_grids.geojson["features"]} == hot   # only their shapes travel
    if incident["level"] in ("grid", "community"):
        drawn = set(db.execute("SELECT code FROM core.areas WHERE valid_to IS NULL").df()["code"])
        assert set(outline.locations) == grids & drawn
    else:
        assert list(outline.locations) in ([incident["area_code"]], [])


def _a_street_with_incidents(db):
    seen = db.execute("SELECT DISTINCT substr(area_code, 1, 9) AS street FROM warning.incident_areas "
                      "WHERE length(area_code) >= 9 ORDER BY 1").df()["street"]
    assert len(seen), "the tiny data should have incidents below the district"
    return seen.iloc[0]


def test_an_area_account_sees_only_its_area(app, db, monkeypatch):
    from cockpit.pages import warning as page
    street = _a_street_with_incidents(db)
    mine = _incidents(db, street)
    outside = _incidents(db, CITY.code)
    outside = outside[~outside["incident_id"].isin(mine["incident_id"])]
    assert 0 < len(mine) and len(outside), "another area's incident: else the forged request tests nothing"
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope(street, "本街道"))
    with signed_in(app):
        out = page.refresh_warning(0, 0, None)
        forged = page.refresh_incident(outside["incident_id"].iloc[0], 0, 0)
        figure = as_figures(page.refresh_map(outside["incident_id"].iloc[0], None))
    assert {o["value"] for o in out["options"]} == set(mine["incident_id"])
    others, drops = _screen(mine)
    assert out["shown"] == f"{len(others) + len(drops):,}"
    assert forged["review"] is None and forged["targets"] == []                  # another area's incident: nothing
    base, grids, outline = figure.data
    assert all(c.startswith(street) for c in base.locations) and all(g.startswith(street) for g in grids.locations)
    assert not any(not c.startswith(street) for c in outline.locations)


def test_signed_in_street_account_through_the_gate(world, tiny_db):
    """The street account's own session, posting as any script could: its area's numbers only."""
    street = world["roles"]["street"][1]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        others, drops = _screen(_incidents(con, street))
    status, out = post(client(world, "street"), world, "warning-kpi-shown", {GENERATION: None})
    assert status == 200 and out["warning-kpi-shown.children"] == f"{len(others) + len(drops):,}"


def test_incident_page_summaries(app, db):
    from cockpit.pages import incident as page
    incidents = _incidents(db, CITY.code)
    today = incidents[incidents["on_screen"]].sort_values(["kind", "new", "rank"], ascending=[True, False, True])
    ended = incidents[incidents["status"] == "已结束"].sort_values(["last_day", "incident_id"], ascending=False)
    with signed_in(app):
        early, review = page.refresh_warning_summary(CITY.code, 0)
    early, review = str(early), str(review)
    assert f"'{len(today):,}'" in early and early.count("Li(") == min(5, len(today))
    for reason in today["reason"].head(5):
        assert reason in early
    if len(ended):
        assert ended["incident_id"].iloc[0] in review
    assert early.count("/warning") == 1 and review.count("/warning") == 1


# --- 研判 labels ------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request, world):
    """The shared app (tests/cockpit/conftest.py), and its twin with the state in PostgreSQL."""
    return world if request.param == "sqlite" else request.getfixturevalue("pg_world")


def _label(world, account, incident_id, label, note="", target=None):
    from cockpit.pages import warning as page
    return post(client(world, account), world, "warning-label-message",
                {("warning-label-save", "n_clicks"): 1, ("warning-incident", "value"): incident_id,
                 ("warning-label-target", "value"): target or page.WHOLE, ("warning-label-choice", "value"): label,
                 ("warning-label-note", "value"): note, ("warning-labels-version", "data"): 0})


def test_a_label_is_stored_with_the_warehouse_area_scrubbed_audited_and_seen_in_scope(any_world, tiny_db):
    world = any_world
    street = world["roles"]["street"][1]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        mine = _incidents(con, street)
        elsewhere = _incidents(con, CITY.code)
    assert len(mine), "the street account's area should have incidents"
    incident = mine.iloc[0]
    note = "已派人核实，联系电话 13812345678，身份证 11010519491231002X"
    status, out = _label(world, "street", incident["incident_id"], "确认", note)
    assert status == 200 and out["warning-label-message.children"].startswith("已记录")
    assert out["warning-labels-version.data"] == 1 and out["warning-label-note.value"] == ""
    store = world["app"].server.config["COCKPIT_LABEL_STORE"]
    history = store.history(street, incident["incident_id"])
    assert list(history["label"]) == ["确认"] and history["account"].iloc[0] == "street"
    assert "13812345678" not in history["note"].iloc[0] and "11010519491231002X" not in history["note"].iloc[0]
    with store.db.connection() as con:
        stored_area = con.execute("SELECT area_code FROM labels WHERE incident_id = ?",
                                  [incident["incident_id"]]).fetchone()[0]
    assert stored_area == incident["area_code"]                    # from the warehouse, not the browser
    audit = world["app"].server.config["COCKPIT_AUDIT"].recent(5, "warning_label", "street")
    assert len(audit) >= 1 and audit["target"].iloc[0] == incident["incident_id"]
    assert "13812345678" not in audit["detail"].iloc[0]
    # seen by the district's accounts (their scope holds the street), not by another street's
    assert incident["incident_id"] in set(store.latest(world["roles"]["leader"][1])["incident_id"])
    assert store.latest(world["other_street"]).empty or \
        incident["incident_id"] not in set(store.latest(world["other_street"])["incident_id"])
    # the screen shows it to the street's own accounts
    status, out = post(client(world, "street"), world, "warning-screen", {GENERATION: None})
    assert status == 200 and ("确认" in str(out["warning-incidents.children"]))
    weekly = store.precision_by_week(street)
    assert weekly["marked"].sum() >= 1 and weekly["precision"].iloc[-1] == 1.0
    assert len(elsewhere) >= len(mine)


def test_a_label_outside_the_jurisdiction_or_on_another_incidents_alert_is_refused(any_world, tiny_db):
    world = any_world
    street = world["roles"]["street"][1]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        mine = _incidents(con, street)
        outside = _incidents(con, CITY.code)
        outside = outside[~outside["incident_id"].isin(mine["incident_id"])]
        other_alert = con.execute("SELECT alert_id FROM warning.alerts WHERE incident_id <> ? LIMIT 1",
                                  [mine["incident_id"].iloc[0]]).fetchone()[0]
    with world["app"].server.app_context():        # the app's store, whichever test made it first
        store = label_store()
    before = len(store.history(CITY.code, outside["incident_id"].iloc[0]))
    status, out = _label(world, "street", outside["incident_id"].iloc[0], "误报", "forged")
    assert status == 200 and "不在本辖区" in out["warning-label-message.children"]
    status, out = _label(world, "street", mine["incident_id"].iloc[0], "误报", "x", target=other_alert)
    assert "不属于" in out["warning-label-message.children"]
    status, out = _label(world, "street", mine["incident_id"].iloc[0], "不知道")
    assert "请选择" in out["warning-label-message.children"]
    assert len(store.history(CITY.code, outside["incident_id"].iloc[0])) == before
    denied = world["app"].server.config["COCKPIT_AUDIT"].recent(10, "denied", "street")
    assert any("预警研判标记" in d for d in denied["detail"])
    # a department account cannot even reach the page's callbacks
    status, _ = _label(world, "department", mine["incident_id"].iloc[0], "确认")
    assert status == 403


def test_the_label_store_knows_its_schema_version(state, tmp_path):
    """In its SQLite file and in PostgreSQL (`state`, tests/conftest.py)."""
    from tests.cockpit.stores import set_version
    if state.dialect == "sqlite":
        store = LabelStore(state("labels"))
        assert store.latest("2202").empty and not state("labels").exists()   # reading creates nothing
    with pytest.raises(LabelError):
        LabelStore(state("labels")).add("a", "220204001", "YJ1", "maybe")
    store = LabelStore(state("labels"))
    store.add("a", "220204001", "YJ1", "已处置", "done")
    with store.db.connection() as con:
        with pytest.raises(store.db.IntegrityError):                   # labels are only added
            con.execute("UPDATE labels SET label = '误报'")
        if state.dialect == "postgresql":
            with pytest.raises(store.db.IntegrityError):
                con.execute("TRUNCATE labels CASCADE")
    assert store.db.migrate(SCHEMA) == 1
    set_version(store.db, "warning_labels", 99)
    with pytest.raises(LabelError, match="版本"):
        LabelStore(state("labels")).latest("2202")


def test_labels_are_seen_in_scope_latest_first_and_counted_by_week(state):
    store = LabelStore(state("labels"))
    other = LabelStore(state("labels"))                 # another web server on the same store
    first = store.add("a", "220204001", "YJ1", "误报", "电话 13812345678", seen_from=["220204001001001"])
    assert "13812345678" not in first["note"] and first["id"] >= 1
    second = other.add("b", "220204001", "YJ1", "确认")
    store.add("c", "220205001", "YJ2", "确认")
    store.add("a", "220204001", "YJ1", "误报", target_kind="alert", target_id="A1")
    assert second["id"] > first["id"]
    history = store.history("220204", "YJ1")
    assert list(history["account"]) == ["a", "b", "a"] and list(history["target_kind"]) == ["alert", "incident",
                                                                                        "incident"]
    assert store.history("220205", "YJ1").empty                  # another street sees nothing of it
    assert not store.history("220204001001001", "YJ1").empty     # its grid does
    latest = other.latest("2202")
    assert dict(zip(latest["incident_id"], latest["label"])) == {"YJ1": "确认", "YJ2": "确认"}
    weekly = store.precision_by_week("220204")
    assert (weekly["marked"].sum(), weekly["real"].sum(), weekly["false"].sum()) == (2, 1, 1)
    with pytest.raises(LabelError):
        store.add("a", "2202'; --", "YJ3", "确认")


def test_warnings_of_earlier_data_say_so(app, tiny_warehouse, tmp_path):
    """An incremental refresh serves new data before its warnings: until they follow, the page
    says the warnings are of the data before, with both instants."""
    from cockpit.pages import warning as page
    wh_dir = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, wh_dir, ignore=shutil.ignore_patterns("refresh.lock", "building"))
    new_id = new_run_id()                    # a generation of its own (cached views key on its id)
    copy = start(wh_dir, new_id)
    storage.single_file(generations.current(wh_dir).path, copy)
    with duckdb.connect(str(copy)) as con:
        (as_of,) = con.execute("SELECT as_of FROM ops.meta").fetchone()
        con.execute("UPDATE warning.meta SET data_run = 'an earlier run', as_of = as_of - INTERVAL 1 DAY")
    publish(wh_dir, copy, new_id, keep=3)
    warehouse = Warehouse(wh_dir)
    empty = pd.DataFrame(columns=["incident_id", "label", "at", "account"])
    weekly = pd.DataFrame(columns=["week", "marked", "real", "false", "precision"])
    with warehouse.snapshot() as snap, signed_in(app):
        out = page.warning_view(snap, CITY, empty, weekly)
    warehouse.close()
    note, incidents = out["note"], out["incidents"]
    earlier = as_of - dt.timedelta(days=1)
    assert note.startswith("预警尚未更新") and f"{as_of:%Y-%m-%d %H:%M}" in note
    assert f"{earlier:%Y-%m-%d %H:%M}" in note
    assert _rows(incidents)[0]                 # the earlier warnings are still shown
