"""The warning tables of a generation, computed by the ETL after its marts (docs/design.md):

    warning_alerts          alerts kept by the daily budget, with their reason and incident
    warning_budget          per day: series that alarmed, alerts shown
    warning_clusters        space-time clusters from the Poisson scan (recent window)
    warning_incidents       incidents: span, areas, the live backlog and SLA state, after-analysis
    warning_incident_days   per incident and day: reports, expected, upper bound, open, overdue
    warning_quality         the methods' measured quality, when `evaluate-warnings` has saved it
    warning_meta            the data run (meta.run_id) and as-of instant they were computed for,
                            and the settings' digest: a refresh serves its data before its
                            warnings, and until then the warnings are those of the data before
                            (etl/refresh.py)
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from etl.checks import NOW_LOCAL
from etl.warning import alerts as alerting
from etl.warning import incidents, scan
from etl.warning.prepare import prepare
from etl.warning.series import LEVEL_NAMES
from etl.warning.settings import Settings, load

log = logging.getLogger(__name__)
QUALITY_FILE = "warning_quality.csv"


def _backlog(con) -> pd.DataFrame:
    """Open and overdue-open items now, per area of every level and subclass."""
    parts = [con.execute(f"""
        SELECT '{level}' AS level, {col} AS area_code, subclass_code,
               count(*) FILTER (is_open)::INTEGER AS open, count(*) FILTER (overdue_open)::INTEGER AS overdue
        FROM wh.mart_event_sla GROUP BY ALL""").df()
        for level, col in (("grid", "grid_code"), ("community", "community_code"),
                           ("street", "street_code"), ("district", "district_code"), ("city", "'220200'"))]
    return pd.concat(parts, ignore_index=True)


def _reason(row, s: Settings) -> str:
    if isinstance(row["rule"], str):
        return f"规则「{row['rule']}」: {row['rule_value']:.0f} ≥ 阈值 {row['threshold']:.0f}"
    bits = [f"报告 {row['observed']} 件, 预期 {row['expected']:.2f} 件"]
    if row["p_value"] < s.nb_alpha:
        bits.append(f"负二项检验 p = {row['p_value']:.1e} < {s.nb_alpha:g}")
    if row.get("cusum", 0) > s.cusum_h:
        bits.append(f"CUSUM {row['cusum']:.1f} > {s.cusum_h:g}")
    if row.get("scan_p") is not None and row.get("scan_p") == row.get("scan_p"):
        bits.append(f"时空扫描 p = {row['scan_p']:.2f}")
    return "; ".join(bits)


def compute(con, s: Settings) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    p = prepare(con)
    log.info("预警基线 %d 个小类, %.1f s", len(p.models), time.perf_counter() - t0)
    nb, cu = alerting.negative_binomial(p, s), alerting.cusum(p, s)
    found = alerting.combine(nb, cu, s)
    found = pd.concat([found, alerting.rules(p, s, _backlog(con))], ignore_index=True)
    found = alerting.drop_repeats(found, p.areas.repeats)
    found = alerting.add_since(found)
    kept, per_day = alerting.budget(found, s)
    kept["incident_id"] = incidents.link(p, kept, s)
    inc, timeline = incidents.summarise(p, kept, s)
    clusters = scan.recent_clusters(p, s)
    log.info("预警 %d 条 (预算内 %d), 事件群 %d, 聚集 %d, %.1f s", len(found), len(kept), len(inc),
             len(clusters), time.perf_counter() - t0)
    return _tables(p, s, kept, per_day, inc, timeline, clusters)


def _tables(p, s, kept, per_day, inc, timeline, clusters) -> dict[str, pd.DataFrame]:
    day = lambda i: pd.to_datetime(p.cal.days[np.asarray(i, int)])           # noqa: E731
    areas = p.areas
    kept = kept.copy()
    kept["reason"] = [_reason(r, s) for r in kept.to_dict("records")]
    a = kept["area"].astype(int).to_numpy()
    methods = np.where(kept["rule"].notna(), "规则",
                       np.where(kept["p_value"] < s.nb_alpha,
                                np.where(kept["cusum"].fillna(0) > s.cusum_h, "负二项基线+CUSUM", "负二项基线"),
                                "CUSUM"))
    cats = p.categories
    alerts = pd.DataFrame({
        "alert_id": [f"YJ-{i + 1:06d}" for i in range(len(kept))],
        "day": day(kept["day"]).date, "level": areas.levels[a],
        "level_name": [LEVEL_NAMES[x] for x in areas.levels[a]],
        "area_code": areas.codes[a], "area_name": areas.names[a],
        "subclass_code": kept["subclass_code"],
        "subclass_name": kept["subclass_code"].map(cats["subclass_name"]).fillna("全部小类"),
        "class_name": kept["subclass_code"].map(cats["class_name"]).fillna("全部"),
        "observed": kept["observed"].astype(int), "expected": kept["expected"].astype(float),
        "p_value": kept["p_value"].astype(float), "cusum": kept["cusum"].astype(float),
        "method": methods, "score": kept["score"].astype(float), "since": day(kept["since"]).date,
        "reason": kept["reason"], "incident_id": kept["incident_id"],
        "active": kept["day"].to_numpy() >= p.n_days - s.active_days})
    budget = pd.DataFrame({"day": day(per_day["day"]).date, "alarms": per_day["alarms"],
                           "shown": per_day["shown"]})
    if len(inc):
        m = inc["area"].astype(int).to_numpy()
        inc = inc.assign(first_day=day(inc["first_day"]).date, last_day=day(inc["last_day"]).date,
                         level=areas.levels[m], area_code=areas.codes[m], area_name=areas.names[m],
                         subclass_name=inc["subclass_code"].map(cats["subclass_name"]),
                         class_name=inc["subclass_code"].map(cats["class_name"])).drop(columns="area")
    timeline = timeline.assign(day=day(timeline["day"]).date) if len(timeline) else timeline
    return {"warning_alerts": alerts, "warning_budget": budget, "warning_incidents": inc,
            "warning_incident_days": timeline, "warning_clusters": clusters}


# the during-incident state, from the reports themselves: appended to the incident tables in SQL
_DURING_SQL = """
CREATE OR REPLACE TABLE wh.warning_incident_events AS
SELECT DISTINCT i.incident_id, e.event_id
FROM wh.warning_incidents i
JOIN (SELECT incident_id, unnest(string_split(areas, ';')) AS area_code FROM wh.warning_incidents) ia
  USING (incident_id)
JOIN wh.events e ON e.subclass_code = i.subclass_code
 AND e.reported_at::DATE BETWEEN i.first_day - INTERVAL (? || ' days') AND i.last_day
 AND (ia.area_code = '220200' OR starts_with(e.grid_code, ia.area_code));

--
CREATE OR REPLACE TABLE wh.warning_incidents AS
SELECT i.*, coalesce(d.events, 0) AS events, coalesce(d.open, 0) AS open,
       coalesce(d.overdue, 0) AS overdue, d.oldest_open_hours, d.dispatch_median_minutes,
       d.departments, d.satisfied_share, d.rework_share
FROM wh.warning_incidents i LEFT JOIN (
    SELECT ie.incident_id, count(*)::INTEGER AS events,
           count(*) FILTER (s.is_open)::INTEGER AS open,
           count(*) FILTER (s.overdue_open)::INTEGER AS overdue,
           round(max(s.age_minutes) FILTER (s.is_open) / 60.0, 1) AS oldest_open_hours,
           median(s.dispatch_minutes) AS dispatch_median_minutes,
           string_agg(DISTINCT e.department, '、' ORDER BY e.department) AS departments,
           avg(CASE WHEN e.satisfaction IN ('满意', '基本满意') THEN 1.0
                    WHEN e.satisfaction IS NOT NULL THEN 0.0 END) AS satisfied_share,
           avg((e.rework_count > 0)::INTEGER) AS rework_share
    FROM wh.warning_incident_events ie JOIN wh.events e USING (event_id)
    JOIN wh.mart_event_sla s USING (event_id)
    GROUP BY ie.incident_id) d USING (incident_id);
--
CREATE OR REPLACE TABLE wh.warning_incident_days AS
SELECT t.*, coalesce(o.closed, 0) AS closed, coalesce(o.open_end, 0) AS open_end,
       coalesce(o.overdue_end, 0) AS overdue_end
FROM wh.warning_incident_days t LEFT JOIN (
    SELECT t.incident_id, t.day,
           count(*) FILTER (e.closed_at::DATE = t.day)::INTEGER AS closed,
           count(*) FILTER (e.reported_at < t.day + 1 AND (e.closed_at IS NULL OR e.closed_at >= t.day + 1)
                            AND e.status <> '不予立案')::INTEGER AS open_end,
           count(*) FILTER (e.reported_at < t.day + 1 AND e.deadline < t.day + 1
                            AND (e.handled_at IS NULL OR e.handled_at >= t.day + 1)
                            AND e.status <> '不予立案')::INTEGER AS overdue_end
    FROM wh.warning_incident_days t JOIN wh.warning_incident_events ie USING (incident_id)
    JOIN wh.events e USING (event_id)
    GROUP BY ALL) o USING (incident_id, day);
"""


def _digest(s: Settings) -> str:
    return hashlib.sha256(repr(s).encode()).hexdigest()[:16]


def _present(con, database: str = "wh") -> list[str]:
    return [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                      "AND starts_with(table_name, 'warning_') ORDER BY 1", [database]).fetchall()]


def _settings(settings_file: Path | None) -> Settings | None:
    """The settings, or None when the file cannot be read (logged): the data goes on without
    waiting, and the warnings step then fails on the same error."""
    try:
        return load(settings_file)
    except (OSError, ValueError, KeyError, TypeError) as exc:     # TOML and SettingsError: ValueError
        log.error("预警设置文件有误 (the warning settings cannot be read): %s", exc)
        return None


def enabled(settings_file: Path | None = None) -> bool:
    s = _settings(settings_file)
    return s is None or s.enabled


def drop(con) -> None:
    """No warning tables in the build `wh` (early warning is off)."""
    for table in _present(con):
        con.execute(f"DROP TABLE wh.{table}")


def stale(con, settings_file: Path | None = None) -> bool:
    """Whether the warning tables of the attached `wh` are not those of its data and settings
    (with early warning off: whether there are any; unreadable settings: always)."""
    s = _settings(settings_file)
    if s is None:
        return True
    present = _present(con)
    if not s.enabled:
        return bool(present)
    if "warning_meta" not in present:
        return True
    (same,) = con.execute("SELECT w.data_run = m.run_id AND w.settings = ? FROM wh.warning_meta w, wh.meta m",
                          [_digest(s)]).fetchone()
    return not same


def carry_over(con, served_path_literal: str) -> None:
    """Copy the served generation's warning tables into the build `wh`, which then shows them,
    labelled by warning_meta as the warnings of earlier data, until its own are computed. A
    generation whose warnings have no label (an older release's) passes none on."""
    con.execute(f"ATTACH {served_path_literal} AS served (READ_ONLY)")
    try:
        tables = _present(con, "served")
        for table in tables if "warning_meta" in tables else ():
            con.execute(f"CREATE OR REPLACE TABLE wh.{table} AS SELECT * FROM served.{table}")
    finally:
        con.execute("DETACH served")


def write(con, warehouse: Path | None, settings_file: Path | None = None) -> None:
    """Compute and store the warning tables in the attached build `wh`."""
    s = load(settings_file)
    if not s.enabled:
        drop(con)
        log.info("预警已关闭 (early warning disabled in the settings)")
        return
    tables = compute(con, s)
    for name, frame in tables.items():
        con.register("warning_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE wh.{name} AS SELECT * FROM warning_frame")
        con.unregister("warning_frame")
    if len(tables["warning_incidents"]):
        for statement in _DURING_SQL.split("\n--\n"):
            con.execute(statement, [str(s.link_days)] if "?" in statement else None)
    else:
        con.execute("CREATE OR REPLACE TABLE wh.warning_incident_events (incident_id VARCHAR, event_id VARCHAR)")
    con.execute(f"""CREATE OR REPLACE TABLE wh.warning_meta AS
                    SELECT run_id AS data_run, as_of, {NOW_LOCAL} AS computed_at, ? AS settings FROM wh.meta""",
                [_digest(s)])
    quality = Path(warehouse) / QUALITY_FILE if warehouse else None
    if quality and quality.exists():
        con.execute("CREATE OR REPLACE TABLE wh.warning_quality AS SELECT * FROM read_csv(?, header = true)",
                    [str(quality)])
