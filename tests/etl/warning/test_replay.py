"""Early warning on the tiny warehouse: nothing reads ahead (the daily refresh and the replay are
one computation), the warning tables against SQL on it, planted trials change every level, and
the replay's evaluation holds EARS to the product's items a day and reads its own truth back."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.warning import evaluate, screen, simulate, truth
from etl.warning.prepare import PATROL, fit_models, prepare
from etl.warning.series import Cells
from etl.warning.settings import DEFAULT_FILE, load
from tests.conftest import served_db


@pytest.fixture(scope="module")
def p(tiny_warehouse):
    con = duckdb.connect()
    con.execute(f"ATTACH '{served_db(tiny_warehouse)}' AS wh (READ_ONLY)")
    prepared = prepare(con, load(DEFAULT_FILE))
    con.close()
    return prepared


@pytest.fixture(scope="module")
def wh(tiny_warehouse):
    con = duckdb.connect(str(served_db(tiny_warehouse)), read_only=True)
    yield con
    con.close()


def _cut(cells: Cells, day: int) -> Cells:
    keep = cells.day < day
    return Cells(cells.area[keep], cells.day[keep], cells.n[keep])


def test_nothing_reads_ahead(p):
    """Fitted on the data cut at day D, every expectation before D is the full data's; and the
    screens of a replay stopped at D − 1 are the full replay's, day for day."""
    s = load(DEFAULT_FILE)
    D = p.n_days - 45
    cut = {c: _cut(cells, D) for c, cells in p.cells.items()}
    models = fit_models(p.areas, p.cal, p.blocks, {**cut, PATROL: _cut(p.patrol, D)})
    days = np.arange(D - 60, D)
    for code in list(p.cells)[:12] + [PATROL]:
        full = p.patrol_model if code == PATROL else p.models[code]
        np.testing.assert_allclose(models[code].mu(days), full.mu(days), rtol=1e-9, equal_nan=True)
    first = max(0, D - 90)
    whole = screen.run(p, s, first, p.n_days - 1)
    short = screen.run(p.with_cells(cut, _cut(p.patrol, D)), s, first, D - 1)
    a = whole.shown[whole.shown["day"] < D][["day", "incident_id", "on_screen", "rank"]].reset_index(drop=True)
    b = short.shown[["day", "incident_id", "on_screen", "rank"]].reset_index(drop=True)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)


def test_alerts_report_the_counts_in_the_warehouse(wh):
    alerts = wh.execute("""SELECT * FROM warning.alerts WHERE subclass_code IS NOT NULL AND kind = 'excess'
                           AND level <> 'nbhd' ORDER BY score DESC LIMIT 20""").df()
    assert len(alerts)
    for a in alerts.itertuples():
        n = wh.execute("""SELECT coalesce(sum(reported), 0) FROM mart.events_daily
                          WHERE subclass_code = ? AND day BETWEEN ?::DATE - (? - 1) AND ?
                            AND starts_with(grid_code, ?)""",
                       [a.subclass_code, a.day, a.window_days, a.day, a.area_code]).fetchone()[0]
        assert n == a.observed, a
        assert a.reason and a.incident_id


def test_every_incident_is_seen_from_its_main_area_and_reports_its_own(wh):
    s = load(DEFAULT_FILE)
    inc = wh.execute("SELECT * FROM warning.incidents").df()
    assert len(inc) and inc["on_screen"].sum() <= s.max_items
    assert (inc.loc[inc["on_screen"] & (inc["kind"] == "drop")].shape[0]) <= s.max_drop_items
    seen = wh.execute("SELECT incident_id, area_code FROM warning.incident_areas").df()
    pairs = set(zip(seen["incident_id"], seen["area_code"]))
    assert all((i, a) in pairs for i, a in zip(inc["incident_id"], inc["area_code"]))
    for i in inc.sort_values("alerts", ascending=False).head(5).itertuples():
        linked = wh.execute("SELECT count(*) FROM warning.incident_events WHERE incident_id = ?",
                            [i.incident_id]).fetchone()[0]
        assert linked == i.events
        assert i.excess_low <= i.excess <= i.excess_high and i.first_day <= i.last_day
    shown = wh.execute("SELECT count(DISTINCT incident_id) FROM warning.screen WHERE day = "
                       "(SELECT max(day) FROM warning.screen) AND on_screen").fetchone()[0]
    assert shown == inc["on_screen"].sum()


def test_planted_trials_change_every_level_and_read_back(p, tmp_path):
    s = load(DEFAULT_FILE)
    rng = np.random.default_rng(2)
    none = pd.DataFrame(columns=["grids", "subclasses", "t0", "t1"])
    trial, planted = simulate.plant(p, s, none, 14, rng, prefix="T-")
    # the tiny data's grids see well under a report a day: no grid qualifies for a planted drop
    assert len(planted) == 14 and set(planted["type"]) >= {"slow_ramp", "weekday", "storm", "boundary"}
    grid_row = {c: i for i, c in enumerate(p.areas.codes[:p.areas.n_grids])}
    for r in planted.itertuples():
        t0 = int((np.datetime64(r.start_date, "D") - p.cal.days[0]).astype(int))
        t1 = int((np.datetime64(r.end_date, "D") - p.cal.days[0]).astype(int)) + 1
        rows = np.array([grid_row[g] for g in r.grid_codes])
        codes = r.subclasses or tuple(p.cells)
        before = sum(p.cells[c].rows(rows, t0, t1).sum() for c in codes if c in p.cells)
        after = sum(trial.cells[c].rows(rows, t0, t1).sum() for c in codes if c in trial.cells)
        assert (after > before) if r.direction == "excess" else (after < before), r
    # every level moves with its grids: per subclass and day, the district's change is its grids'
    G, T = p.areas.n_grids, p.n_days
    district = p.areas.level_rows("district")
    for code in p.cells:
        grids = trial.cells[code].dense(G, 0, T) - p.cells[code].dense(G, 0, T)
        top = trial.cells[code].rows(district, 0, T) - p.cells[code].rows(district, 0, T)
        np.testing.assert_array_equal(top.sum(axis=0), grids.sum(axis=0))
    assert all((c.n > 0).all() for c in trial.cells.values()) and (trial.patrol.n > 0).all()
    truth.to_csv(planted, tmp_path / "planted.csv")
    back = truth.read(tmp_path / "planted.csv")
    assert list(back["incident_id"]) == list(planted["incident_id"])
    assert list(back["direction"]) == list(planted["direction"])


def test_the_replay_holds_ears_to_the_products_items_a_day(tiny_source, tiny_warehouse, tmp_path):
    """The command as a centre runs it (tables and planted truth written where asked), and what it
    measured: EARS shows as many items a day as the product's excess list, nothing passes the cap."""
    out = tmp_path / "report"
    assert evaluate.evaluate_command(tiny_source, tiny_warehouse, None, False, trials=7, seed=3, out=out) == 0
    op = pd.read_csv(out / "operating.csv").set_index(["replay", "method"])
    s = load(DEFAULT_FILE)
    for replay in op.index.get_level_values(0).unique():
        product = op.loc[(replay, "product")]
        excess_items = product["items_per_day_mean"] - product["drop_items_per_day"]
        for m in ("c2", "c3"):
            assert op.loc[(replay, m), "items_per_day_mean"] == pytest.approx(excess_items, abs=0.02)
        assert product["items_per_day_p95"] <= s.max_items
    inc = pd.read_csv(out / "incidents.csv")
    assert inc["incident_id"].str.startswith(simulate.PREFIX).sum() == 7
    assert set(pd.read_csv(out / "paired.csv")["versus"]) == {"c2", "c3"}
    assert {"delay_product", "delay_c3", "delay_ceiling"} <= set(inc.columns)
    assert truth.read(out / "trials_truth.csv")["incident_id"].str.startswith(simulate.PREFIX).all()
    assert set(pd.read_csv(out / "targets.csv")["class"]) == set(evaluate.targets(inc.assign(
        slow_ramp=inc["slow_ramp"].astype(bool)))["class"])


def test_a_full_build_carries_over_only_warnings_of_its_own_format(tmp_path):
    """An older release's warning tables (another shape) would break the page until the new ones
    come: they are not carried over; this release's are."""
    from etl.warning import build
    for fmt, carried in ((None, False), ("an older format", False), (build.FORMAT, True)):
        served = tmp_path / f"served-{carried}-{fmt is None}.duckdb"
        with duckdb.connect(str(served)) as con:
            con.execute("CREATE SCHEMA warning")
            con.execute("CREATE TABLE warning.alerts AS SELECT 1 AS x")
            con.execute("CREATE TABLE warning.meta AS SELECT 'run' AS data_run"
                        + ("" if fmt is None else f", '{fmt}' AS format"))
        con = duckdb.connect()
        con.execute(f"ATTACH '{tmp_path / f'build-{carried}-{fmt is None}.duckdb'}' AS wh")
        con.execute("CREATE SCHEMA wh.warning")
        build.carry_over(con, f"'{served}'")
        present = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'wh'").fetchall()}
        con.close()
        assert (present == {"warning.alerts", "warning.meta"}) is carried and (carried or not present), fmt


def test_the_incidents_reports_are_those_of_the_join_without_its_lower_bound(wh):
    """$since (the first incident's first day less link_days) only skips what the join's own
    dates exclude: the served incident events are those of the same join without it."""
    s = load(DEFAULT_FILE)
    plain = wh.execute("""
        SELECT DISTINCT i.incident_id, e.event_id
        FROM warning.incidents i JOIN warning.incident_grids g USING (incident_id)
        JOIN core.events e ON e.grid_code = g.grid_code
         AND e.reported_at::DATE BETWEEN i.first_day - INTERVAL (? || ' days') AND i.last_day
        WHERE i.kind = 'drop'
           OR e.subclass_code IN (SELECT s.subclass_code FROM warning.incident_subclasses s
                                  WHERE s.incident_id = i.incident_id)
           OR NOT EXISTS (SELECT 1 FROM warning.incident_subclasses s WHERE s.incident_id = i.incident_id)
        ORDER BY ALL""", [str(s.link_days)]).fetchall()
    served = wh.execute("SELECT incident_id, event_id FROM warning.incident_events ORDER BY ALL").fetchall()
    assert plain and served == plain
    (earliest,) = wh.execute("""SELECT min(e.reported_at::DATE - i.first_day) FROM warning.incident_events
                                JOIN warning.incidents i USING (incident_id) JOIN core.events e USING (event_id)""").fetchone()
    assert earliest == -s.link_days         # a report link_days before its incident: the bound is tight
