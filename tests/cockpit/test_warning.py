"""预警研判 callbacks without a browser: their numbers equal SQL on the tiny warehouse's warning
tables, and an area account sees only its area's alerts and incidents."""
import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from cockpit import create_app, ids
from cockpit.config import Settings
from cockpit.db import Warehouse
from etl import generations
from etl.refresh import new_run_id
from cockpit.scope import CITY, Scope
from tests.cockpit import as_figures, signed_in
from tests.cockpit.conftest import client, post

GENERATION = (ids.GENERATION, "data")


@pytest.fixture(scope="module")
def app(tiny_warehouse):
    return create_app(Settings(warehouse=tiny_warehouse))


@pytest.fixture(scope="module")
def db(tiny_db):
    con = duckdb.connect(str(tiny_db), read_only=True)
    yield con
    con.close()


def _alerts(db, prefix):
    return db.execute("SELECT * FROM warning_alerts WHERE active AND area_code LIKE ? || '%' "
                      "ORDER BY day DESC, score DESC, alert_id", [prefix]).df()


def _incidents(db, prefix):
    return db.execute("SELECT * FROM warning_incidents WHERE area_code LIKE ? || '%'", [prefix]).df()


def _clusters(db, prefix, days=30):
    frame = db.execute("SELECT c.* FROM warning_clusters c, meta m "
                       "WHERE c.day > CAST(m.as_of AS DATE) - ?::INTEGER", [days]).df()
    return frame[frame["grid_codes"].map(lambda g: any(x.startswith(prefix) for x in g.split(";")))]


def _has_quality(db):
    return db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'warning_quality'").fetchall()[0][0] > 0


def _rows(table) -> tuple[list[dict], list[str]]:
    """A warning table's rows (records) and column ids: the DataTable inside its Div."""
    data_table = table.children[0]
    return data_table.data, [c["id"] for c in data_table.columns]


def test_city_numbers_equal_sql(app, db):
    from cockpit.pages import warning as page
    alerts, incidents, clusters = _alerts(db, CITY.code), _incidents(db, CITY.code), _clusters(db, CITY.code)
    assert len(alerts) > 0 and len(incidents) > 0
    with signed_in(app):
        out = page.refresh_warning(0, None)
    n_alerts, n_areas, n_clusters, ongoing, ended, note, alert_table, _c, _i, quality, options, value = out
    assert n_alerts == f"{len(alerts):,}" and n_areas == f"{alerts['area_code'].nunique():,}"
    assert n_clusters == f"{len(clusters):,}" and note is None
    assert ongoing == f"{(incidents['status'] == '进行中').sum():,}"
    assert ended == f"{(incidents['status'] == '已结束').sum():,}"
    rows, columns = _rows(alert_table)
    assert len(rows) == min(len(alerts), page.SHOWN_ROWS)
    assert rows[0]["reason"] == alerts["reason"].iloc[0]                   # strongest of the newest day first
    assert columns.index("reason") < columns.index("since")
    ordered = incidents.sort_values(["last_day", "peak_score", "incident_id"], ascending=[False, False, True])
    ordered = pd.concat([ordered[ordered["status"] == "进行中"], ordered[ordered["status"] != "进行中"]])
    assert [o["value"] for o in options] == list(ordered["incident_id"])
    assert value == ordered["incident_id"].iloc[0]
    assert (page.NO_QUALITY in str(quality)) != _has_quality(db)


def test_incident_course_equals_sql(app, db):
    from cockpit.pages import warning as page
    row = _incidents(db, CITY.code).sort_values("alerts", ascending=False).iloc[0]
    days = db.execute("SELECT * FROM warning_incident_days WHERE incident_id = ? ORDER BY day",
                      [row["incident_id"]]).df()
    with signed_in(app):
        figure, review = as_figures(page.refresh_incident(row["incident_id"], 0))
    traces = {t.name: t for t in figure.data}
    assert list(traces["上报"].y) == pytest.approx(list(days["reported"]))
    assert list(traces["基线预期"].y) == pytest.approx(list(days["expected"]))
    assert list(traces["预期上限"].y) == pytest.approx(list(days["upper"]))
    assert list(traces["日末在办"].y) == list(days["open_end"])
    text = str(review)
    assert f"{row['excess']:,.1f} 件（95% 区间 {row['excess_low']:,.1f}–{row['excess_high']:,.1f}）" in text
    assert f"{row['peak_ratio']:,.1f} 倍" in text and f"{row['recur_30']} / {row['recur_90']} 次" in text
    with signed_in(app):
        forged, nothing = as_figures(page.refresh_incident("YJ' OR '1'='1", 0))
    assert nothing is None and forged.layout.annotations[0].text == page.fig.NO_INCIDENT


def _map_expected(db, prefix, area_len):
    """The map's layers by pandas over plain SQL: areas with the active alerts on or inside each,
    and the grids a grid-level alert or a recent cluster names."""
    areas = db.execute("SELECT code FROM areas WHERE length(code) = ? AND valid_to IS NULL "
                       "AND starts_with(code, ?) ORDER BY code", [area_len, prefix]).df()
    active = db.execute("SELECT area_code, level FROM warning_alerts WHERE active").df()
    inside = [int(active["area_code"].str.startswith(code).sum()) for code in areas["code"]]
    grids = set(db.execute("SELECT code FROM areas WHERE level = 'grid' AND valid_to IS NULL").df()["code"])
    clustered = {g.strip() for codes in _clusters(db, prefix)["grid_codes"] for g in codes.split(";")}
    alerted = set(active.loc[active["level"] == "grid", "area_code"])
    hot = {g for g in (clustered | alerted) & grids if g.startswith(prefix)}
    return list(areas["code"]), inside, hot


def test_map_shades_areas_and_marks_hot_grids_as_sql(app, db):
    from cockpit.pages import warning as page
    incidents = _incidents(db, CITY.code)
    incident = incidents.loc[incidents["area_code"].str.len().idxmax()]        # a finest-level area
    codes, inside, hot = _map_expected(db, CITY.code, 9)         # streets for the whole city
    assert sum(inside) > 0 and hot, "the tiny data should have alerts below the district and hot grids"
    with signed_in(app):
        figure = as_figures(page.refresh_map(incident["incident_id"], None))
    base, grids, outline = figure.data
    assert list(base.locations) == codes and list(base.z) == inside
    assert set(grids.locations) == hot
    assert {f["properties"]["code"] for f in grids.geojson["features"]} == hot   # only their shapes travel
    assert list(outline.locations) == [incident["area_code"]]


def test_map_of_an_area_account_stays_in_its_area(app, db, monkeypatch):
    from cockpit.pages import warning as page
    active = _alerts(db, CITY.code)
    street = next(c for c in active["area_code"] if len(c) >= 9)[:9]
    drawn = set(db.execute("SELECT code FROM areas").df()["code"])
    outside = _incidents(db, CITY.code)
    outside = outside[~outside["area_code"].str.startswith(street) & outside["area_code"].isin(drawn)]
    assert len(outside), "another area's incident with a polygon: else the outline check tests nothing"
    codes, inside, hot = _map_expected(db, street, 12)
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope(street, "本街道"))
    with signed_in(app):
        figure = as_figures(page.refresh_map(outside["incident_id"].iloc[0], None))
    base, grids, outline = figure.data
    assert list(base.locations) == codes and list(base.z) == inside
    assert set(grids.locations) == hot and all(g.startswith(street) for g in grids.locations)
    assert len(outline.locations) == 0                        # another area's incident: no outline


def test_an_area_account_sees_only_its_area(app, db, monkeypatch):
    from cockpit.pages import warning as page
    active = _alerts(db, CITY.code)
    codes = [c for c in active["area_code"] if len(c) >= 9]
    assert codes, "the tiny data should have an active alert below the district"
    street = codes[0][:9]
    mine = _alerts(db, street)
    assert 0 < len(mine) < len(active)
    incidents = _incidents(db, street)
    outside = _incidents(db, CITY.code)
    outside = outside[~outside["area_code"].str.startswith(street)]
    monkeypatch.setattr(page, "viewer_scope", lambda: Scope(street, "本街道"))
    with signed_in(app):
        out = page.refresh_warning(0, None)
        forged = page.refresh_incident(outside["incident_id"].iloc[0], 0)
    assert out[0] == f"{len(mine):,}"
    assert len(_rows(out[6])[0]) == len(mine)
    assert {o["value"] for o in out[10]} == set(incidents["incident_id"])
    assert forged[1] is None                                   # another area's incident: nothing


def test_signed_in_street_account_through_the_gate(world, tiny_db):
    """The street account's own session, posting as any script could: its area's numbers only."""
    street = world["roles"]["street"][1]
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        mine = len(_alerts(con, street))
    status, out = post(client(world, "street"), world, "warning-kpi-alerts", {GENERATION: None})
    assert status == 200 and out["warning-kpi-alerts.children"] == f"{mine:,}"


def test_incident_page_summaries(app, db):
    from cockpit.pages import incident as page
    alerts, incidents = _alerts(db, CITY.code), _incidents(db, CITY.code)
    ended = incidents[incidents["status"] == "已结束"].sort_values(["last_day", "incident_id"], ascending=False)
    with signed_in(app):
        early, review = page.refresh_warning_summary(CITY.code, 0)
    early, review = str(early), str(review)
    assert f"'{len(alerts):,}'" in early and early.count("Li(") == min(5, len(alerts))
    for reason in alerts.sort_values("score", ascending=False)["reason"].head(5):
        assert reason in early
    assert ended["incident_id"].iloc[0] in review and f"{ended['excess'].iloc[0]:,.1f} 件" in review
    assert early.count("/warning") == 1 and review.count("/warning") == 1


def test_warnings_of_earlier_data_say_so(app, tiny_warehouse, tmp_path):
    """An incremental refresh serves new data before its warnings: until they follow, the page
    says the warnings are of the data before, with both instants."""
    from cockpit.pages import warning as page
    wh_dir = tmp_path / "wh"
    shutil.copytree(tiny_warehouse, wh_dir, ignore=shutil.ignore_patterns("refresh.lock", "building"))
    copy = tmp_path / "copy.duckdb"          # a generation of its own (cached views key on its id)
    shutil.copyfile(generations.current(wh_dir).path, copy)
    with duckdb.connect(str(copy)) as con:
        (as_of,) = con.execute("SELECT as_of FROM meta").fetchone()
        con.execute("UPDATE warning_meta SET data_run = 'an earlier run', as_of = as_of - INTERVAL 1 DAY")
    generations.publish(wh_dir, copy, new_run_id(), keep=3)
    warehouse = Warehouse(wh_dir)
    with warehouse.snapshot() as snap:
        note = page.warning_view(snap, CITY)[5]
        alerts = page.warning_view(snap, CITY)[6]
    warehouse.close()
    earlier = as_of - dt.timedelta(days=1)
    assert note.startswith("预警尚未更新") and f"{as_of:%Y-%m-%d %H:%M}" in note
    assert f"{earlier:%Y-%m-%d %H:%M}" in note
    assert _rows(alerts)[0]                  # the earlier warnings are still shown
