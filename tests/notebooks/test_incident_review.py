"""notebooks/04_incident_review.ipynb: the incident it picks and its numbers against the warning
tables, events and SLA mart of the served generation, limited here to the area as the cockpit
limits them."""
import datetime as dt

import pytest
from nbclient.exceptions import CellExecutionError

SEEN = "incident_id IN (SELECT incident_id FROM warning.incident_areas WHERE starts_with(area_code, $area))"


def expected(con, area: str, start: dt.date, end: dt.date, incident: str | None = None) -> dict:
    found = con.execute(f"""
        SELECT incident_id FROM warning.incidents
        WHERE {SEEN} AND first_day <= $end AND last_day >= $start
        ORDER BY kind = 'drop', CASE WHEN kind = 'drop' THEN excess_high ELSE -excess_low END, incident_id
    """, {"area": area, "start": start, "end": end}).fetchall()
    incident = incident or found[0][0]
    alerts = con.execute("""
        SELECT count(*), min(day), list(DISTINCT tier_name ORDER BY tier_name) FROM warning.alerts
        WHERE incident_id = $id AND starts_with(area_code, $area)
    """, {"id": incident, "area": area}).fetchone()
    days = con.execute("SELECT min(day), max(day) FROM warning.incident_days WHERE incident_id = $id",
                       {"id": incident}).fetchone()
    reports = con.execute("""
        SELECT coalesce(e.department, '（未派遣）') AS department, s.is_open, s.overdue_open
        FROM warning.incident_events ie JOIN core.events e USING (event_id) JOIN mart.event_sla s USING (event_id)
        WHERE ie.incident_id = $id AND starts_with(e.grid_code, $area)
    """, {"id": incident, "area": area}).df()
    row = con.execute("""
        SELECT area_code, alerts, excess, excess_low, excess_high, change_points
        FROM warning.incidents WHERE incident_id = $id
    """, {"id": incident}).fetchone()
    return {
        "incidents": len(found), "incident_id": incident, "incident_area": row[0], "alerts": row[1],
        "alerts_here": alerts[0], "first_alert": alerts[1].isoformat(), "tiers": alerts[2],
        "days": [d.isoformat() for d in days],
        "reports": len(reports), "open": int(reports["is_open"].sum()),
        "overdue": int(reports["overdue_open"].sum()),
        "departments": {k: int(v) for k, v in reports["department"].value_counts().items()},
        "excess": list(row[2:5]), "change_points": [d for d in (row[5] or "").split(";") if d],
    }


def test_defaults_review_the_most_certain_excess_of_the_last_year(execute, tiny_warehouse, base):
    """Not a one-grid blip of 2 reports against an expected 0.00 (its 95 % lower bound is about 2):
    the excess incident whose lower bound is highest, with a review that says something."""
    district, as_of = base.execute(
        "SELECT (SELECT code FROM core.areas WHERE level = 'district'), as_of::DATE FROM ops.meta").fetchone()
    got = execute("04_incident_review.ipynb", warehouse=str(tiny_warehouse))
    want = expected(base, district, as_of - dt.timedelta(days=364), as_of)
    assert want["reports"] > 0 and want["alerts_here"] > 0      # the tiny data has an incident worth reviewing
    assert {k: got[k] for k in want} == want
    assert got["kind"] == "excess" and got["reported_during"] >= got["expected_during"]
    blips = base.execute("""SELECT max(excess_low) FROM warning.incidents
                            WHERE kind = 'excess' AND alarm_days = 1""").fetchone()[0]
    assert got["excess"][1] > 2 and got["excess"][1] >= (blips or 0)
    assert got["excess"][2] > got["excess"][1]                  # an interval, not 2.0 ~ 2.0


def test_a_named_incident_of_one_street(execute, tiny_db, base):
    """Not the strongest one: the most recent incident of the street with the most incidents."""
    street, incident = base.execute("""
        SELECT left(area_code, 9), arg_max(incident_id, last_day) FROM warning.incidents
        WHERE length(area_code) >= 9 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
    """).fetchone()
    as_of = base.execute("SELECT as_of::DATE FROM ops.meta").fetchone()[0]
    start = as_of - dt.timedelta(days=120)
    got = execute("04_incident_review.ipynb", warehouse=str(tiny_db), area_code=street,
                  start_date=start.isoformat(), end_date=as_of.isoformat(), incident_id=incident)
    want = expected(base, street, start, as_of, incident)
    assert (got["area_code"], got["start"]) == (street, start.isoformat())
    assert {k: got[k] for k in want} == want


def test_an_incident_outside_the_area_or_a_quiet_period_is_a_clear_error(execute, tiny_db, base):
    outside, street = base.execute("""
        SELECT i.incident_id, a.code FROM warning.incidents i, core.areas a
        WHERE a.level = 'street' AND NOT EXISTS (SELECT 1 FROM warning.incident_areas v
              WHERE v.incident_id = i.incident_id AND starts_with(v.area_code, a.code)) LIMIT 1
    """).fetchone()
    with pytest.raises(CellExecutionError, match=f"内没有预警事件 {outside}"):
        execute("04_incident_review.ipynb", warehouse=str(tiny_db), area_code=street, incident_id=outside)
    first = base.execute("SELECT min(day) FROM mart.events_daily").fetchone()[0]
    with pytest.raises(CellExecutionError, match="没有预警事件：换一个时段或区域"):
        execute("04_incident_review.ipynb", warehouse=str(tiny_db), start_date=first.isoformat(),
                end_date=(first + dt.timedelta(days=6)).isoformat())
