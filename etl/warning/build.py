"""The warning tables of a generation, computed by the ETL after its marts (docs/design.md):

    warning.incidents           one row per incident (a persistent alarm is one incident with its
                                "since"): kind, status, whether today's screen shows it and where,
                                its reason in words, main area, the live backlog, after-analysis
    warning.incident_subclasses the subclasses an incident is about (bridge)
    warning.incident_grids      the grids its alarms cover (bridge)
    warning.incident_areas      the areas whose accounts see it (bridge): its main area and, for an
                                incident of grids or a community, each of its grids
    warning.alerts              the alarms (series × day) behind the incidents of the recent window
    warning.screen              per day × incident: what each day's screen showed, and where
    warning.budget              per day: alarms, incidents, rows shown, drops, new, capped
    warning.incident_days       per incident and day: reports, expected, upper bound, open, overdue
    warning.incident_events     the reports of an excess incident (its subclasses in its grids)
    warning.quality             the replay's measured quality, when `evaluate-warnings --save` saved it
    warning.detections          the records detection found on each day of the span, and storms:
    warning.detection_days      with a digest per day of what they read, what the next run keeps
                                (detections.py)
    warning.incident_reviews    the days each incident's review read: the next run keeps the
                                reviews of days that did not change (reviews.py)
    warning.meta                the data run (meta.run_id) and as-of instant they were computed for,
                                the settings' digest and the tables' format: a refresh serves its data
                                before its warnings, and until then the warnings are those of the data
                                before (etl/refresh.py)

The daily step is the replay's computation (screen.run) over the recent window, started
TRACK_LEAD days earlier so an incident that began before it keeps its "since"."""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from etl import cores, storage
from etl.load.checks import NOW_LOCAL
from etl.warning import backlog, catalog, detect, detections, incidents, reviews, screen, track
from etl.warning.prepare import LEVEL_NAMES, LEVELS, MULTI, NBHD, PATROL, Prepared, prepare
from etl.warning.settings import Settings, load

log = logging.getLogger(__name__)
QUALITY_FILE = "warning_quality.csv"
FORMAT = "2026-12 incidents with bridges, drops, screen; detections kept"   # carry_over copies only tables of this format
TRACK_LEAD = 60


def _day(p: Prepared, i):
    return pd.to_datetime(p.cal.days[np.asarray(i, int)]).date


def _ratio(o, e) -> str:
    """Observed over expected; none below what the reason prints as 0.1 (2 against 0.0004 would
    read 5000 倍, which says nothing the counts do not)."""
    return f"{o / e:.1f} 倍" if e >= 0.05 else "预期近零"


def tier_text(p: Prepared, tier: int, members=None) -> str:
    t = p.tiers[tier]
    if t.kind == "multi" and isinstance(members, tuple):
        return "、".join(p.tiers[m].name for m in members)
    return t.name


def area_text(p: Prepared, row: int) -> str:
    """An area by its name (names say what they are: 第3网格, 社区, 街道, 区); a 片区 by its central
    grid and how many around it."""
    if p.rows.levels[row] == NBHD:
        return f"{p.rows.names[row][:-2]}及周边 {len(p.rows.footprint(row)) - 1} 个网格"
    return str(p.rows.names[row])


def reason(p: Prepared, s: Settings, a) -> str:
    """One alarm in words: where, what, over which days, against what was expected."""
    where, what = area_text(p, int(a.row)), tier_text(p, int(a.tier), a.members)
    w = int(a.window)
    span = "今日" if w == 1 else f"近 {w} 天"
    if a.kind == detect.RULE:
        rule = next((r for r in s.rules if r.name == a.rule), None)
        ref = (f"，为本区域前 {rule.history_days} 天中位数 {a.expected:.0f} 的 {a.observed / a.expected:.1f} 倍"
               if rule is not None and rule.ratio is not None and a.expected > 0 else "")
        return f"规则「{a.rule}」：{where} {what} {a.observed:.0f} 件，达到阈值 {rule.threshold:.0f}{ref}" \
            if rule is not None else f"规则「{a.rule}」：{where} {a.observed:.0f} 件"
    if a.kind == detect.DROP:
        fall = 100 * (1 - a.observed / a.expected) if a.expected > 0 else 0
        source = "网格员巡查上报" if p.tiers[int(a.tier)].code == PATROL else "全部上报"
        return (f"{where}{span}{source} {a.observed:.0f} 件，按以往应有 {a.expected:.1f} 件，少了 {fall:.0f}%"
                f"（网格员未巡查、终端故障或网格调整？）")
    several = "同时上升" if p.tiers[int(a.tier)].code == MULTI else ""
    today = f"；今日 {a.today:.0f} 件" if w > 1 and a.today == a.today else ""
    return (f"{where}{span}{what}{several}报告 {a.observed:.0f} 件，预期 {a.expected:.1f} 件"
            f"（{_ratio(a.observed, a.expected)}）{today}")


def _subject(p: Prepared, inc: track.Incident) -> tuple:
    """The subclasses an incident is about (PATROL for a patrol drop)."""
    codes = set()
    for k in inc.focus:
        t = p.tiers[k]
        if t.kind == "patrol":
            return (PATROL,)
        codes |= set(t.members)
    return tuple(sorted(codes))


def _subject_text(p: Prepared, kind: str, subject: tuple) -> str:
    if PATROL in subject:
        return "网格员巡查上报"
    if kind == detect.DROP or len(subject) == len(p.cells):
        return "全部上报"
    return "、".join(str(p.categories["subclass_name"].get(c, c)) for c in subject)


def compute(con, s: Settings) -> dict[str, pd.DataFrame]:
    t0 = time.perf_counter()
    p = prepare(con, s)
    log.info("预警基线 %d 个小类, %d 个区域与片区, %.1f s", len(p.models), len(p.rows.codes), time.perf_counter() - t0)
    T = p.n_days
    shown_from = max(0, T - s.recent_days)
    first = max(0, shown_from - TRACK_LEAD)
    histories = {rule: backlog.history(con, p.cal, rule, first) for rule in s.rules if rule.metric != "reported"}
    found, kept, start = detections.run(con, p, s, screen.detect_from(first), T - 1, histories.get)
    sc = screen.run(p, s, first, T - 1, found=found)
    log.info("预警 %d 条告警, %d 起事件, 今日屏幕 %d 条, %.1f s", len(sc.alarms), len(sc.incidents),
             int(sc.per_day["shown"].iloc[-1]) if len(sc.per_day) else 0, time.perf_counter() - t0)
    days = kept["detection_days"]
    inputs = reviews.digest(days["inputs"].iloc[0])
    # a review is kept when its days all lie before the first day detection tests again; when
    # detection kept nothing, nothing is known unchanged
    kept_reviews = reviews.load(con, pd.DatetimeIndex(p.cal.days), inputs, start) \
        if start > screen.detect_from(first) else {}
    out = tables(p, s, sc, shown_from, kept_reviews, inputs) | kept
    log.info("预警事件复盘 %d 起, %.1f s", len(out["incidents"]), time.perf_counter() - t0)
    return out


INCIDENT_COLUMNS = ["incident_id", "kind", "kind_name", "status", "on_screen", "new", "rank", "first_day",
                    "last_day", "alarm_days", "alerts", "peak_score", "level", "area_code", "area_name",
                    "subject", "n_grids", "reason", "first_reason", "excess", "excess_low", "excess_high",
                    "peak_ratio", "peak_offset", "days_to_baseline", "level_before", "slope_before",
                    "level_after", "slope_after", "change_points", "recur_30", "recur_90"]


def tables(p: Prepared, s: Settings, sc: screen.Screen, shown_from: int, kept: dict | None = None,
           inputs: str = "") -> dict[str, pd.DataFrame]:
    """The incident tables of the recent window; `kept`: reviews a run before computed over days
    whose inputs did not change since (reviews.py), by their span."""
    T = p.n_days
    keep = {k for k, inc in sc.incidents.items() if inc.last >= shown_from}
    alarms = sc.alarms[sc.alarms["incident_id"].isin(keep)].reset_index(drop=True)
    screens = sc.shown[sc.shown["day"] >= shown_from]
    # an incident merged into another later keeps the id it had on the screens before; their rows
    # name the incident it became
    today = screens[screens["day"] == T - 1].set_index("incident_id")
    level_rank = np.array([LEVELS.index(lv) for lv in p.rows.levels])
    # each incident's review on the cores there are (its change points are a Python loop)
    later = {key: frame for key, frame in alarms.groupby("incident_id")}
    done = cores.map_forked(_review, (p, s, sc, later, today, level_rank, kept or {}), sorted(keep))
    incident_rows = [r[0] for r in done]
    subs, grids, areas = ([x for r in done for x in r[i]] for i in (1, 2, 3))
    timeline = [r[4] for r in done]
    spans = {r[0]["incident_id"]: r[5] for r in done}
    log.info("预警事件复盘 %d 起沿用 (incidents' reviews kept)", sum(x in (kept or {}) for x in spans.values()))
    inc = pd.DataFrame(incident_rows, columns=INCIDENT_COLUMNS)
    if len(inc):
        inc = _recurrences(p, s, sc, inc)
        inc["first_day"], inc["last_day"] = _day(p, inc["first_day"]), _day(p, inc["last_day"])
    else:
        inc = inc.astype({"first_day": "datetime64[s]", "last_day": "datetime64[s]", "rank": "float"})
    alert_frame = _alerts(p, s, alarms)
    screen_frame = screens.assign(day=_day(p, screens["day"]), since=_day(p, screens["since"])).drop(columns="tags")
    per_day = sc.per_day[sc.per_day["day"] >= shown_from]
    budget = per_day.assign(day=_day(p, per_day["day"]))
    # one frame of every incident's arrays (a frame per incident was a tenth of the reviews' time)
    days = pd.DataFrame({"incident_id": np.repeat([k for k, *_ in timeline], [len(d) for _, d, *_ in timeline]),
                         **{c: np.concatenate([x[i] for x in timeline])
                            for i, c in enumerate(["day", "reported", "expected", "upper"], 1)}}) \
        if timeline else pd.DataFrame(columns=["incident_id", "day", "reported", "expected", "upper"])
    if len(days):
        days["day"] = _day(p, days["day"])
    pairs = lambda rows, cols: pd.DataFrame(sorted(set(rows)), columns=cols)  # noqa: E731
    return {"incidents": inc, "incident_subclasses": pairs(subs, ["incident_id", "subclass_code"]),
            "incident_grids": pairs(grids, ["incident_id", "grid_code"]),
            "incident_areas": pairs(areas, ["incident_id", "area_code"]),
            "alerts": alert_frame, "screen": screen_frame, "budget": budget, "incident_days": days,
            "incident_reviews": reviews.table(spans, pd.DatetimeIndex(p.cal.days), inputs)}


def _review(state: tuple, key: str) -> tuple:
    """One incident's row, its subclasses, grids and areas, and its timeline (tables())."""
    p, s, sc, later, today, level_rank, kept = state
    T, rows = p.n_days, p.rows
    subs, grids, areas = [], [], []
    inc = sc.incidents[key]
    mine = later[key]
    r = mine["row"].to_numpy()
    main = incidents.main_area(r, level_rank[r], (mine["observed"] - mine["expected"].fillna(0)).to_numpy(),
                               mine["score"].to_numpy())
    strongest = mine.loc[mine["score"].idxmax()]
    latest = mine[mine["day"] == mine["day"].max()].sort_values("score", ascending=False).iloc[0]
    subject = _subject(p, inc)
    lo, hi = max(0, inc.first - incidents.BEFORE), min(T, inc.last + incidents.AFTER + 1)
    codes = subject if subject else (PATROL,) if inc.kind == detect.DROP else tuple(sorted(p.cells))
    span = reviews.span(codes, main, lo, hi, inc.first, inc.last)
    res, y, mu, upper = kept[span] if span in kept else reviews.compute(p, span)
    on = today.loc[key] if key in today.index else None
    level = rows.levels[main] if main < rows.n_areas else "grid"
    main_code = rows.codes[main] if main < rows.n_areas else rows.codes[rows.footprint(main)[0]]
    row = {
        "incident_id": key, "kind": inc.kind, "kind_name": detect.KIND_NAMES[inc.kind],
        "status": "进行中" if inc.last >= T - s.hold_days else "已结束",
        "on_screen": bool(on is not None and on["on_screen"]), "new": bool(on is not None and on["new"]),
        "rank": int(on["rank"]) if on is not None else None,
        "first_day": inc.first, "last_day": inc.last, "alarm_days": len(inc.scores), "alerts": len(mine),
        "peak_score": float(inc.peak), "level": level,
        "area_code": main_code, "area_name": area_text(p, main),
        "subject": _subject_text(p, inc.kind, subject),
        "n_grids": len(inc.grids), "reason": reason(p, s, latest), "first_reason": reason(p, s, strongest),
        **{k: v for k, v in res.items() if k != "change_points"},
        "change_points": ";".join(str(p.cal.days[lo + i]) for i in res["change_points"])}
    subs += [(key, c) for c in subject if c != PATROL]
    grids += [(key, str(rows.codes[g])) for g in sorted(inc.grids)]
    areas += [(key, str(main_code))] + ([(key, str(rows.codes[g])) for g in inc.grids]
                                        if level in ("grid", "community") else [])
    return row, subs, grids, areas, (key, np.arange(lo, hi), y, mu, upper), span


def _recurrences(p: Prepared, s: Settings, sc: screen.Screen, inc: pd.DataFrame) -> pd.DataFrame:
    """recur_30 / recur_90: later alarm days of an incident's subject near its grids."""
    a = sc.alarms
    fp = [set(p.rows.footprint(int(r)).tolist()) for r in a["row"]]
    # as numbers once: thousands of incidents each look at every alarm
    ids, names = pd.factorize(a["incident_id"])
    number = {name: i for i, name in enumerate(names)}
    kinds, kind_names = pd.factorize(a["kind"])
    kind_number = {name: i for i, name in enumerate(kind_names)}
    day, tier = a["day"].to_numpy(), a["tier"].to_numpy()
    out30, out90 = [], []
    for row in inc.itertuples():
        me = sc.incidents[row.incident_id]
        later = (ids != number.get(row.incident_id, -1)) & (day > me.last) \
            & np.isin(tier, list(me.focus)) & (kinds == kind_number.get(me.kind, -1))
        idx = np.flatnonzero(later)
        r30, r90 = incidents.recurrences(p, me.grids, day[idx], [fp[i] for i in idx], me.last, s.link_km)
        out30.append(r30)
        out90.append(r90)
    return inc.assign(recur_30=out30, recur_90=out90)


def _alerts(p: Prepared, s: Settings, alarms: pd.DataFrame) -> pd.DataFrame:
    rows = p.rows
    r = alarms["row"].to_numpy()
    codes = np.array([rows.codes[i] if i < rows.n_areas else rows.codes[rows.footprint(i)[0]] for i in r], object)
    tiers = [p.tiers[t] for t in alarms["tier"]]
    ids = [track.incident_id(k, p.cal.days[d], rows.codes[i], (rl or "") + t.code).replace("YJ", "GJ", 1)
           for k, d, i, rl, t in zip(alarms["kind"], alarms["day"], r, alarms["rule"], tiers)]
    return pd.DataFrame({
        "alert_id": ids, "day": _day(p, alarms["day"]), "kind": alarms["kind"],
        "kind_name": alarms["kind"].map(detect.KIND_NAMES), "level": rows.levels[r] if len(r) else [],
        "level_name": [LEVEL_NAMES[lv] for lv in rows.levels[r]], "area_code": codes,
        "area_name": [area_text(p, i) for i in r],
        "subclass_code": [t.code if t.kind == "subclass" else None for t in tiers],
        "tier": [t.code for t in tiers], "tier_name": [tier_text(p, int(t), m) for t, m in zip(alarms["tier"], alarms["members"])],
        "window_days": alarms["window"].astype(int), "observed": alarms["observed"].astype(float),
        "expected": alarms["expected"].astype(float), "today": alarms["today"].astype(float),
        "score": alarms["score"].astype(float), "rule": alarms["rule"],
        "reason": [reason(p, s, a) for a in alarms.itertuples()], "incident_id": alarms["incident_id"]})


# the during-incident state, from the reports themselves: appended to the incident tables in SQL.
# An excess incident's reports are those of its subclasses in its grids; a drop's, whatever its
# grids still reported.
# $since: the first incident's first day less link_days, before which no incident has a report.
# Said of every scan of the events, it reaches the Parquet files and skips the older row groups
# (at city scale the three statements take 4.7 s instead of 12.2 s with the running sums below)
_DURING_SQL = """
CREATE OR REPLACE TABLE wh.warning.incident_events AS
SELECT DISTINCT i.incident_id, e.event_id
FROM wh.warning.incidents i
JOIN wh.warning.incident_grids g USING (incident_id)
JOIN wh.core.events e ON e.grid_code = g.grid_code
 AND e.reported_at::DATE BETWEEN i.first_day - INTERVAL ($link_days || ' days') AND i.last_day
WHERE e.reported_at >= $since
  AND (i.kind = 'drop'
       OR e.subclass_code IN (SELECT s.subclass_code FROM wh.warning.incident_subclasses s
                              WHERE s.incident_id = i.incident_id)
       OR NOT EXISTS (SELECT 1 FROM wh.warning.incident_subclasses s WHERE s.incident_id = i.incident_id));
--
CREATE OR REPLACE TABLE wh.warning.incidents AS
SELECT i.*, coalesce(d.events, 0) AS events, coalesce(d.open, 0) AS open,
       coalesce(d.overdue, 0) AS overdue, d.oldest_open_hours, d.dispatch_median_minutes,
       d.departments, d.satisfied_share, d.rework_share
FROM wh.warning.incidents i LEFT JOIN (
    SELECT ie.incident_id, count(*)::INTEGER AS events,
           count(*) FILTER (s.is_open)::INTEGER AS open,
           count(*) FILTER (s.overdue_open)::INTEGER AS overdue,
           round(max(s.age_minutes) FILTER (s.is_open) / 60.0, 1) AS oldest_open_hours,
           median(s.dispatch_minutes) AS dispatch_median_minutes,
           string_agg(DISTINCT e.department, '、' ORDER BY e.department) AS departments,
           avg(CASE WHEN e.satisfaction IN ('满意', '基本满意') THEN 1.0
                    WHEN e.satisfaction IS NOT NULL THEN 0.0 END) AS satisfied_share,
           avg((e.rework_count > 0)::INTEGER) AS rework_share
    FROM wh.warning.incident_events ie JOIN wh.core.events e USING (event_id)
    JOIN wh.mart.event_sla s USING (event_id)
    WHERE e.reported_at >= $since AND s.reported_at >= $since
    GROUP BY ie.incident_id) d USING (incident_id);
--
CREATE OR REPLACE TABLE wh.warning.incident_days AS
-- per incident and day: its events closed that day, open and overdue at its end. As running sums
-- of the days each event enters and leaves a count (every event × every day of its incident
-- joined, as before, was 10⁸ rows at city scale)
WITH ev AS (
    SELECT ie.incident_id, e.reported_at::DATE AS r, e.closed_at::DATE AS c, e.deadline::DATE AS d,
           e.handled_at::DATE AS h, coalesce(e.status <> '不予立案', false) AS counted
    FROM wh.warning.incident_events ie JOIN wh.core.events e USING (event_id)
    WHERE e.reported_at >= $since
), marks (incident_id, day, closed, open, overdue) AS (
    SELECT incident_id, c, 1, 0, 0 FROM ev WHERE c IS NOT NULL
    UNION ALL SELECT incident_id, r, 0, 1, 0 FROM ev WHERE counted AND r IS NOT NULL
    UNION ALL SELECT incident_id, greatest(r, c), 0, -1, 0 FROM ev WHERE counted AND r IS NOT NULL AND c IS NOT NULL
    UNION ALL SELECT incident_id, greatest(r, d), 0, 0, 1 FROM ev WHERE counted AND r IS NOT NULL AND d IS NOT NULL
    UNION ALL SELECT incident_id, greatest(r, d, h), 0, 0, -1
              FROM ev WHERE counted AND r IS NOT NULL AND d IS NOT NULL AND h IS NOT NULL
), deltas AS (
    SELECT incident_id, day, sum(closed) AS closed, sum(open) AS open, sum(overdue) AS overdue
    FROM marks GROUP BY ALL
), running AS (
    SELECT incident_id, day, d.closed,
           sum(coalesce(d.open, 0)) OVER upto AS open_end, sum(coalesce(d.overdue, 0)) OVER upto AS overdue_end
    FROM (SELECT incident_id, day FROM wh.warning.incident_days UNION SELECT incident_id, day FROM deltas) k
    LEFT JOIN deltas d USING (incident_id, day)
    WINDOW upto AS (PARTITION BY incident_id ORDER BY day ROWS UNBOUNDED PRECEDING)
)
SELECT t.*, coalesce(o.closed, 0)::INTEGER AS closed, coalesce(o.open_end, 0)::INTEGER AS open_end,
       coalesce(o.overdue_end, 0)::INTEGER AS overdue_end
FROM wh.warning.incident_days t LEFT JOIN running o USING (incident_id, day);
"""


def _digest(s: Settings) -> str:
    return hashlib.sha256((repr(s) + FORMAT).encode()).hexdigest()[:16]


def _forget_stored(con, but: tuple[str, ...] = ()) -> None:
    """In an incremental run's overlay, the stored warning tables are replaced whole, not updated
    (`but` those written by weeks: detections.store)."""
    for table in catalog.present(con):
        if table not in but:
            storage.forget(con, f"warning.{table}")


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
    _forget_stored(con)
    for table in catalog.present(con):
        con.execute(f"DROP TABLE wh.warning.{table}")


def stale(con, settings_file: Path | None = None) -> bool:
    """Whether the warning tables of the attached `wh` are not those of its data and settings
    (with early warning off: whether there are any; unreadable settings: always)."""
    s = _settings(settings_file)
    if s is None:
        return True
    present = catalog.present(con)
    if not s.enabled:
        return bool(present)
    if "meta" not in present:
        return True
    (same,) = con.execute("SELECT w.data_run = m.run_id AND w.settings = ? FROM wh.warning.meta w, wh.ops.meta m",
                          [_digest(s)]).fetchone()
    return not same


def carry_over(con, served_path_literal: str) -> None:
    """Copy the served generation's warning tables into the build `wh`, which then shows them,
    labelled by warning.meta as the warnings of earlier data, until its own are computed. A
    generation whose warnings have no label or another format (an older release's) passes none on."""
    con.execute(f"ATTACH {served_path_literal} AS served (READ_ONLY)")
    try:
        tables = catalog.present(con, "served")
        same = "meta" in tables and "format" in {c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'served' AND schema_name = 'warning' "
            "AND table_name = 'meta'").fetchall()} \
            and con.execute("SELECT format FROM served.warning.meta").fetchone()[0] == FORMAT
        for table in tables if same else ():
            con.execute(f"CREATE OR REPLACE TABLE wh.warning.{table} AS SELECT * FROM served.warning.{table}")
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
    _forget_stored(con, but=("detections",))
    for table in set(catalog.present(con)) - set(tables) - {"meta", "quality"}:
        con.execute(f"DROP TABLE wh.warning.{table}")  # a table an older release wrote (clusters)
    detections.store(con, tables["detections"], tables["detection_days"])
    for name, frame in tables.items():
        if name == "detections":
            continue
        con.register("warning_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE wh.warning.{name} AS SELECT * FROM warning_frame")
        con.unregister("warning_frame")
    if len(tables["incidents"]):
        (first,) = con.execute("SELECT min(first_day) FROM wh.warning.incidents").fetchone()
        params = {"link_days": str(s.link_days),
                  "since": pd.Timestamp(first) - pd.Timedelta(days=s.link_days)}
        for statement in _DURING_SQL.split("\n--\n"):
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    else:
        con.execute("CREATE OR REPLACE TABLE wh.warning.incident_events (incident_id VARCHAR, event_id VARCHAR)")
    con.execute(f"""CREATE OR REPLACE TABLE wh.warning.meta AS
                    SELECT run_id AS data_run, as_of, {NOW_LOCAL} AS computed_at, ? AS settings,
                           ? AS format FROM wh.ops.meta""",
                [_digest(s), FORMAT])
    quality = Path(warehouse) / QUALITY_FILE if warehouse else None
    if quality and quality.exists():
        con.execute("CREATE OR REPLACE TABLE wh.warning.quality AS SELECT * FROM read_csv(?, header = true)",
                    [str(quality)])
