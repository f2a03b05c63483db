"""The screen (预警研判) day by day, as each daily refresh shows it (docs/design.md, "Early
warning"): detection (detect.py), incidents (track.py), and each day's rows.

Everything here is causal: the result for a day reads the reports up to that day and baselines
fitted on the days before their 4-week block, so the daily refresh (the last day of a short span)
and the replay (every day of the history) are one computation, `run`.

Each day's screen holds the incidents that alarmed that day, and those that alarmed on two days
or more within the last hold_days days; new ones (begun within new_days) first, then by the
day's strongest score; drops in their own list, capped apart."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from etl.warning.detect import DROP, Detected, alarms_of, detect
from etl.warning.prepare import Prepared
from etl.warning.settings import Settings
from etl.warning.track import Incident, Tracker


@dataclass
class Screen:
    alarms: pd.DataFrame          # the alarms with their incident
    incidents: dict               # id → Incident
    shown: pd.DataFrame           # per day × incident on the screen
    per_day: pd.DataFrame         # per day: alarms, incidents shown, excess and drop rows, capped
    n_series: int = 0
    n_drop_series: int = 0


def show(shown: list[Incident], t: int, s: Settings) -> list[dict]:
    """The day's screen: drops (their own list, at most max_drop_items) and the rest (excess and
    rules, the places the drops leave), new incidents first, then the strongest."""
    rows = []
    for inc in shown:
        recent = [d for d in inc.scores if t - s.hold_days < d <= t]
        score = inc.scores[max(recent)] if recent else inc.peak
        tags = frozenset().union(*(inc.tags.get(d, frozenset()) for d in recent)) if inc.tags else frozenset()
        rows.append({"day": t, "incident_id": inc.id, "kind": inc.kind, "new": inc.first >= t - s.new_days + 1,
                     "since": inc.first, "score": score, "tags": tags})
    if not rows:
        return []
    rows.sort(key=lambda r: (not r["new"], -r["score"], r["incident_id"]))
    drops = [r for r in rows if r["kind"] == DROP]
    others = [r for r in rows if r["kind"] != DROP]
    n_drop = min(len(drops), s.max_drop_items)
    room = s.max_items - n_drop
    for lst, cap in ((drops, n_drop), (others, room)):
        for rank, r in enumerate(lst, 1):
            r["rank"], r["on_screen"] = rank, rank <= cap
    return drops + others


WARMUP_DAYS = 28      # detection before the first tracked day: series that alarmed then are reset


def detect_from(first: int) -> int:
    """The first day detection tests for a screen that starts on `first`."""
    return max(0, first - WARMUP_DAYS)


def run(p: Prepared, s: Settings, first: int, last: int, backlog=None, hook=None,
        tag: Callable[[pd.DataFrame], list] | None = None, found: Detected | None = None) -> Screen:
    """The screens of the days first … last. Detection starts WARMUP_DAYS earlier, so a series
    that alarmed then is reset as it would have been, instead of every series with old evidence
    alarming at once on the first day. `tag(alarms)` → per alarm a frozenset of labels the
    incidents carry to the screen (the evaluation's truth incidents); `found`: records detected
    before (at a lower floor, to try thresholds)."""
    found = found or detect(p, s, detect_from(first), last, backlog, hook)
    alarms = alarms_of(p, s, found)
    alarms = alarms[alarms["day"] >= first].reset_index(drop=True)
    tags = tag(alarms) if tag is not None else None
    tracker = Tracker(p, s)
    incident = np.empty(len(alarms), object)
    shown, per_day = [], []
    day = alarms["day"].to_numpy()
    bounds = np.searchsorted(day, np.arange(first, last + 2))
    for t in range(first, last + 1):
        lo, hi = bounds[t - first], bounds[t - first + 1]
        if hi > lo:
            incident[lo:hi] = tracker.day(t, alarms.iloc[lo:hi], tags[lo:hi] if tags is not None else None)
        today = show(tracker.shown(t), t, s)
        shown += today
        on = [r for r in today if r["on_screen"]]
        per_day.append({"day": t, "alarms": hi - lo, "incidents": len(today), "shown": len(on),
                        "drops": sum(r["kind"] == DROP for r in on), "new": sum(r["new"] for r in on),
                        "capped": len(on) < len(today)})
    alarms = alarms.assign(incident_id=[tracker.find(i) for i in incident])
    columns = ["day", "incident_id", "kind", "new", "since", "score", "tags", "rank", "on_screen"]
    return Screen(alarms, {k: v for k, v in tracker.incidents.items() if tracker.find(k) == k},
                  pd.DataFrame(shown, columns=columns), pd.DataFrame(per_day), found.n_series,
                  found.n_drop_series)

