"""What a briefing says: its numbers gathered from the served generation for one area, one period.

A briefing issued on day D (at the configured hour: data of the night before) reports on the
day before D (daily) or the seven days before D (weekly), as the data stood at its cut-off,
min(D 00:00, the data's as-of). Each number is held against the same period of the WEEKS weeks
before, each seen the same time after its end (queries/sql/briefing__periods.sql), as a median
and a range. 结案率 and 按期结案率 (GB/T 30428, on 应结案; screen.rate) are over seven days in
both briefings: a single day's deadlines are too few (none on a weekend)."""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries import briefing as q, health as health_q, warning as warning_q
from cockpit.queries.meta import generation
from cockpit.queries.screen import rate
from cockpit.scope import Scope

KINDS = {"daily": "每日简报", "weekly": "每周简报"}
RATE_DAYS = 7
COURSE_DAYS = 21          # an incident's course shown: the last three weeks up to the period's end
MAX_INCIDENTS, MAX_DROPS, MAX_AREAS = 5, 4, 8
# the data are taken as covering the last day when they run this close to its end (their as-of is
# the last report's time: a quiet late evening is no gap; a refresh that stopped in the day is)
COMPLETE_WITHIN = dt.timedelta(hours=4)


@dataclass(frozen=True)
class Measure:
    """A number of the briefing's period against the same period of the weeks before."""
    label: str
    unit: str
    values: tuple            # period 0 (the briefing's) first, then 1…WEEKS weeks before; None: no data

    @property
    def value(self):
        return self.values[0]

    @property
    def past(self) -> list:
        return [v for v in self.values[1:] if v is not None]

    @property
    def median(self):
        return statistics.median(self.past) if self.past else None

    @property
    def low(self):
        return min(self.past) if self.past else None

    @property
    def high(self):
        return max(self.past) if self.past else None

    @property
    def outside(self) -> str:
        """"above" / "below" the range of the weeks before, else ""."""
        if self.value is None or not self.past:
            return ""
        return "above" if self.value > self.high else "below" if self.value < self.low else ""


@dataclass(frozen=True)
class Incident:
    incident_id: str
    kind: str                 # excess | drop
    kind_name: str
    area_name: str
    subject: str
    since: dt.date
    new: bool
    course: pd.DataFrame      # day, reported, expected, upper (up to the period's last day)

    @property
    def reported(self) -> float:
        return float(self.course["reported"].sum()) if len(self.course) else 0.0

    @property
    def expected(self) -> float:
        return float(self.course["expected"].sum()) if len(self.course) else 0.0


@dataclass(frozen=True)
class Briefing:
    kind: str
    area_code: str
    area_name: str
    issued: dt.date
    first_day: dt.date
    last_day: dt.date
    cutoff: dt.datetime
    as_of: dt.datetime | None
    counts: list[Measure]           # 上报, 立案, 办结 of the period
    rates: list[Measure]            # 结案率, 按期结案率 over RATE_DAYS (percent)
    due: Measure                    # their denominator, 应结案
    overdue: Measure                # 超期在办 at the cut-off, and a week before
    incidents: list[Incident] | None  # None: this generation has no early warnings
    drops: list[Incident] | None
    incidents_left: int
    departments: pd.DataFrame
    areas: pd.DataFrame             # the top areas below (or a grid's top subclasses)
    areas_are_subclasses: bool
    health: dict
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    @property
    def complete(self) -> bool:
        """Whether the data reach the end of the period (a refresh that failed overnight leaves
        them short: the briefing says so on top)."""
        end = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time())
        return self.as_of is not None and self.as_of >= end - COMPLETE_WITHIN


def period(kind: str, issued: dt.date) -> tuple[dt.date, dt.date]:
    """The days a briefing issued on `issued` reports on."""
    if kind not in KINDS:
        raise ValueError(f"not a briefing kind: {kind!r}")
    last = issued - dt.timedelta(days=1)
    return (last - dt.timedelta(days=6) if kind == "weekly" else last), last


def gather(wh: Snapshot, scope: Scope, kind: str, issued: dt.date, warehouse_path: Path | None = None) -> Briefing:
    first_day, last_day = period(kind, issued)
    as_of = _timestamp(generation(wh)["as_of"])
    midnight = dt.datetime.combine(issued, dt.time())
    cutoff = min(midnight, as_of) if as_of is not None else midnight
    days = 7 if kind == "weekly" else 1
    totals = _by_period(q.periods(wh, scope, last_day, days, cutoff))
    week = _by_period(q.periods(wh, scope, last_day, RATE_DAYS, cutoff))
    counts = [Measure("上报", "件", totals["reported"]), Measure("立案", "件", totals["accepted"]),
              Measure("办结", "件", totals["closures"])]
    rates = [Measure("结案率", "%", tuple(rate(c, d) for c, d in zip(week["closed"], week["due"]))),
             Measure("按期结案率", "%", tuple(rate(c, d) for c, d in zip(week["closed_on_time"], week["due"])))]
    departments = q.overdue_by_department(wh, scope, cutoff)
    overdue = Measure("超期在办", "件", (int(departments["overdue"].sum()), int(departments["overdue_before"].sum())))
    incidents, drops, left = _incidents(wh, scope, first_day, last_day)
    areas, by_subclass = _top_areas(wh, scope, last_day, days, cutoff)
    return Briefing(kind, scope.code, scope.name, issued, first_day, last_day, cutoff, as_of, counts, rates,
                    Measure("应结案", "件", week["due"]), overdue, incidents, drops, left,
                    departments, areas, by_subclass, _health(wh, scope, warehouse_path, cutoff))


def _timestamp(value) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)


def _by_period(frame: pd.DataFrame, code: str | None = None) -> dict[str, tuple]:
    """{count: (period 0, 1, …, WEEKS)}; a period with no row has zeros, one before the data's
    first day None (no comparison with days the warehouse does not hold)."""
    if code is not None:
        frame = frame[frame["code"] == code]
    frame = frame.set_index("k")
    return {c: tuple(int(frame.at[k, c]) if k in frame.index else 0 for k in range(q.WEEKS + 1))
            for c in ("reported", "accepted", "closures", "due", "closed", "closed_on_time")}


def _incidents(wh: Snapshot, scope: Scope, first_day, last_day):
    shown = q.screen(wh, scope, first_day, last_day)
    if shown is None:
        return None, None, 0
    rises, falls = shown[shown["kind"] != "drop"], shown[shown["kind"] == "drop"]
    picked = pd.concat([rises.head(MAX_INCIDENTS), falls.head(MAX_DROPS)])
    days = q.incident_days(wh, scope, picked["incident_id"], last_day - dt.timedelta(days=COURSE_DAYS - 1), last_day)

    def one(r) -> Incident:
        course = days[days["incident_id"] == r.incident_id].reset_index(drop=True)
        return Incident(r.incident_id, r.kind, r.kind_name, r.area_name, r.subject or "",
                        pd.Timestamp(r.since).date(), bool(r.new), course)
    left = max(len(rises) - MAX_INCIDENTS, 0) + max(len(falls) - MAX_DROPS, 0)
    return ([one(r) for r in rises.head(MAX_INCIDENTS).itertuples()],
            [one(r) for r in falls.head(MAX_DROPS).itertuples()], left)


def _top_areas(wh: Snapshot, scope: Scope, last_day, days: int, cutoff) -> tuple[pd.DataFrame, bool]:
    """The areas one level below (a grid: its event subclasses) with the most reports in the
    period: reports against the weeks before, and the seven-day 结案率."""
    child = q.CHILD_LENGTH.get(len(scope.code))
    by_subclass = child is None
    counts = q.periods(wh, scope, last_day, days, cutoff, child_len=child, by_subclass=by_subclass)
    week = q.periods(wh, scope, last_day, RATE_DAYS, cutoff, child_len=child, by_subclass=by_subclass)
    rows = []
    for code in counts["code"].dropna().unique():
        reported = Measure("上报", "件", _by_period(counts, code)["reported"])
        w = _by_period(week, code)
        rows.append({"code": code, "reported": reported.value, "median": reported.median,
                     "low": reported.low, "high": reported.high, "outside": reported.outside,
                     "closure_rate": rate(w["closed"][0], w["due"][0]),
                     "on_time_rate": rate(w["closed_on_time"][0], w["due"][0])})
    columns = ["code", "name", "reported", "median", "low", "high", "outside", "closure_rate", "on_time_rate"]
    if not rows:
        return pd.DataFrame(columns=columns), by_subclass
    top = pd.DataFrame(rows).sort_values(["reported", "code"], ascending=[False, True]).head(MAX_AREAS)
    top = top[top["reported"] > 0]
    names = {} if by_subclass else q.area_names(wh, scope, top["code"])
    top["name"] = [names.get(c, c) for c in top["code"]]
    return top[columns].reset_index(drop=True), by_subclass


def _health(wh: Snapshot, scope: Scope, warehouse_path: Path | None, cutoff: dt.datetime) -> dict:
    """The served data's state: when built and published, the latest runs, lines quarantined."""
    meta = generation(wh)
    load = health_q.load_log(wh)
    out = {"generation": wh.generation, "as_of": _timestamp(meta["as_of"]), "built_at": _timestamp(meta["built_at"]),
           "rows_in": int(load["rows_in"].sum()), "quarantined": int(load["rows_quarantined"].sum()),
           "repaired": int(load["rows_repaired"].sum()), "published_at": None, "last_run": None,
           "last_good": None, "bad_runs": 0, "warning_lag": None}
    if warehouse_path is not None:
        out["published_at"] = health_q.served(wh, warehouse_path)["published_at"]
        runs = health_q.runs(warehouse_path, limit=50)
        if runs is not None and len(runs):
            out["last_run"] = runs.iloc[0][["status", "started_at", "ended_at"]].to_dict()
            good = runs[runs["status"].isin(health_q.GOOD_STATUSES)]
            out["last_good"] = good.iloc[0]["ended_at"] if len(good) else None
            since = pd.Timestamp(cutoff - dt.timedelta(days=1), tz="Asia/Shanghai")
            started = pd.to_datetime(runs["started_at"], utc=True, errors="coerce")
            out["bad_runs"] = int(((started >= since) & runs["status"].isin(("failed", "rejected", "interrupted"))).sum())
    if warning_q.available(wh, scope):
        out["warning_lag"] = warning_q.lag(wh, scope)
    return out
