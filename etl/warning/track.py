"""Incidents, day by day (docs/design.md, "Early warning"): which incident each alarm belongs to.

An alarm joins the open incident (alarmed in the last link_days days) of its own series; else,
on a grid, 片区 or community, an incident of the same subject here or next door, or a forming one
(begun within link_days) in this very place — different subclasses join through neighbours only
when the storm test saw them rise together; else, on a street or larger, the fine incidents
whose excess explains half of its own (it adds nothing new), or an incident of a containing or
contained area of the same subject; else it starts an incident. A coarse alarm never swallows
the fine incidents inside it, and a long incident keeps its subject."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etl.warning.detect import RULE
from etl.warning.prepare import ALL, FINE, LEVELS, PATROL, Prepared
from etl.warning.settings import Settings
from warehouse.areas import CITY_CODE

EXPLAINED = 0.5                  # a coarse alarm is the fine incidents' if they hold this share of its excess

@dataclass
class Incident:
    id: str
    kind: str
    fine: bool
    first: int
    last: int
    grids: set = field(default_factory=set)
    tiers: set = field(default_factory=set)
    focus: set = field(default_factory=set)          # the tiers it is about (all reports only if nothing narrower)
    recent: dict = field(default_factory=dict)       # day → grids its alarms that day cover
    series: set = field(default_factory=set)
    peak: float = 0.0
    scores: dict = field(default_factory=dict)       # day → strongest alarm that day
    excess: list = field(default_factory=list)       # (day, series, |observed − expected|) of each alarm
    tags: dict = field(default_factory=dict)         # day → tags of its alarms that day (evaluation)
    where: tuple | None = field(default=None, repr=False, compare=False)   # (day, grids): _where's, until recent changes
    seq: int = field(default=0, repr=False, compare=False)   # its place among the open (they are kept in this order)


# ids of the city's incidents were hashed with "220200", the warning tables' own city code until
# they took the one of warehouse/areas.py: hashed so still, so that labels given to them attach
_CITY_IN_IDS = "220200"


def incident_id(kind: str, day: np.datetime64, area_code: str, tier_code: str) -> str:
    """Stable across refreshes: the same first alarm gives the same id (labels attach to it)."""
    area_code = _CITY_IN_IDS if area_code == CITY_CODE else area_code
    digest = hashlib.sha1(f"{kind}|{day}|{area_code}|{tier_code}".encode()).hexdigest()[:6]
    return f"YJ{pd.Timestamp(day):%y%m%d}-{digest}"


class Tracker:
    def __init__(self, p: Prepared, s: Settings):
        self.p, self.s = p, s
        self.rows = p.rows
        self.level_rank = np.array([LEVELS.index(lv) for lv in p.rows.levels])
        self.fine_row = np.isin(p.rows.levels, list(FINE))
        members = [set(t.members) | ({PATROL} if t.kind in ("all", "patrol") else set()) for t in p.tiers]
        n = len(p.tiers)
        self.related = np.array([[bool(members[i] & members[j]) for j in range(n)] for i in range(n)])
        self.all_tier = next(i for i, t in enumerate(p.tiers) if t.code == ALL)
        self.broad = {i for i, t in enumerate(p.tiers) if t.kind in ("all", "multi")}
        index = {t.code: i for i, t in enumerate(p.tiers)}
        self.class_members = {i: {index[m] for m in t.members if m in index}
                              for i, t in enumerate(p.tiers) if t.kind == "class"}
        self._halo: dict[int, set] = {}
        self._mask: dict[int, np.ndarray] = {}
        self.parent: dict[str, str] = {}
        self.incidents: dict[str, Incident] = {}
        self.open: dict[str, Incident] = {}
        self.by_series: dict[tuple, str] = {}
        # the fine open incidents by the grids they are at now (_where), for the day `_today`: an
        # alarm looks at those around it, not at every open incident (thousands at city scale)
        self._today: int | None = None
        self._at_grid: dict[int, set] = {}

    def halo(self, row: int) -> set:
        if row not in self._halo:
            fp = self.rows.footprint(row)
            self._halo[row] = set(np.concatenate([self.p.near[g] for g in fp]).tolist()) if len(fp) else set()
        return self._halo[row]

    def mask(self, row: int) -> np.ndarray:
        if row not in self._mask:
            m = np.zeros(self.p.areas.n_grids, bool)
            m[self.rows.footprint(row)] = True
            self._mask[row] = m
        return self._mask[row]

    def find(self, key: str) -> str:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def _new(self, kind, fine, a) -> Incident:
        p = self.p
        inc = Incident(incident_id(kind, p.cal.days[a.day], self.rows.codes[a.row],
                                   (a.rule or "") + p.tiers[a.tier].code), kind, fine, a.day, a.day)
        while inc.id in self.incidents:               # a digest collision on the same day
            inc.id += "x"
        inc.seq = len(self.incidents)
        self.incidents[inc.id] = self.open[inc.id] = inc
        return inc

    def _merge(self, keep: Incident, other: Incident) -> None:
        if other is keep:
            return
        self.parent[other.id] = keep.id
        keep.first = min(keep.first, other.first)
        keep.last = max(keep.last, other.last)
        keep.grids |= other.grids
        keep.tiers |= other.tiers
        keep.focus |= other.focus
        if len(keep.focus - self.broad):
            keep.focus -= self.broad
        for day, g in other.recent.items():
            keep.recent[day] = keep.recent.get(day, set()) | g
            self._index(keep, day, g)
        keep.where = None
        keep.series |= other.series
        keep.peak = max(keep.peak, other.peak)
        for day, v in other.scores.items():
            keep.scores[day] = max(keep.scores.get(day, v), v)
        keep.excess += other.excess
        for day, v in other.tags.items():
            keep.tags[day] = keep.tags.get(day, frozenset()) | v
        for key in other.series:
            self.by_series[key] = keep.id
        self.open.pop(other.id, None)

    def _attach(self, inc: Incident, a, tags, grow: bool = True) -> None:
        """Add an alarm; `grow`: its subclasses join what the incident is about (only while it is
        forming, or when it is about nothing narrower yet: a long incident keeps its subject)."""
        key = (a.kind, a.tier, a.row, a.rule)
        self.by_series[key] = inc.id
        inc.series.add(key)
        inc.tiers.add(a.tier)
        # an all-reports alarm does not make an incident about everything: it stays about its
        # subclasses (a storm's are those that rose together)
        narrow = set(a.members) if isinstance(a.members, tuple) else {a.tier} - self.broad
        # a class alarm adds nothing to an incident already about one of the class's subclasses
        narrow = {k for k in narrow if not (self.class_members.get(k, set()) & inc.focus)}
        if narrow and (grow or not inc.focus - self.broad):
            inc.tiers |= narrow
            inc.focus = (inc.focus | narrow) - self.broad
        elif not inc.focus:
            inc.focus.add(a.tier)
        if self.fine_row[a.row] or not inc.fine:
            grids = set(self.rows.footprint(a.row).tolist())
            inc.grids |= grids
            inc.recent[a.day] = inc.recent.get(a.day, set()) | grids
            inc.where = None
            self._index(inc, a.day, grids)
        inc.last = max(inc.last, a.day)
        inc.peak = max(inc.peak, a.score)
        inc.scores[a.day] = max(inc.scores.get(a.day, a.score), a.score)
        e = a.observed - a.expected
        inc.excess.append((a.day, key, abs(e)))
        if tags:
            inc.tags[a.day] = inc.tags.get(a.day, frozenset()) | tags

    def _where(self, inc: Incident, t: int) -> set:
        """The grids of its alarms of the last link_days days: an incident is matched where it is
        now, so a long one does not grow to take in every later alarm around it."""
        # asked for every open incident by every alarm of a day: made once per day and change
        if inc.where is None or inc.where[0] != t:
            inc.where = (t, set().union(*(g for d, g in inc.recent.items() if d >= t - self.s.link_days)))
        return inc.where[1]

    def _index(self, inc: Incident, day: int, grids) -> None:
        """Grids an incident is at from now on today (they joined its alarms of `day`)."""
        if inc.fine and self._today is not None and day >= self._today - self.s.link_days:
            for g in grids:
                self._at_grid.setdefault(g, set()).add(inc.id)

    def _around(self, t: int, halo: set) -> list[Incident]:
        """The fine open incidents whose grids now (_where) meet `halo`, in the order of self.open."""
        found = set().union(*(self._at_grid.get(g, ()) for g in halo))
        return sorted((self.open[k] for k in found if k in self.open and self._where(self.open[k], t) & halo),
                      key=lambda inc: inc.seq)

    def _related(self, a, inc: Incident) -> bool:
        tiers = a.members if isinstance(a.members, tuple) else (a.tier,)
        return any(self.related[m, k] for m in tiers for k in inc.focus)

    def _same(self, one: Incident, other: Incident) -> bool:
        return any(self.related[m, k] for m in one.focus for k in other.focus)

    def _within(self, one: Incident, other: Incident) -> bool:
        """Whether every subject of `one` is one of `other`'s."""
        return all(any(self.related[m, k] for k in other.focus) for m in one.focus)

    def _recent_excess(self, inc: Incident, since: int) -> float:
        """The incident's excess since `since`: per series the sum of its alarms' (after a reset a
        series' windows do not overlap, so their excesses add up), the largest series'."""
        per: dict = {}
        for day, key, e in inc.excess:
            if day >= since:
                per[key] = per.get(key, 0.0) + e
        return max(per.values(), default=0.0)

    def day(self, t: int, alarms: pd.DataFrame, tags=None) -> list[str]:
        """Process the alarms of day t; returns each alarm's incident id."""
        s = self.s
        for key in [k for k, inc in self.open.items() if inc.last < t - max(s.link_days, s.hold_days)]:
            self.open.pop(key)
        self._today, self._at_grid = t, {}
        for inc in self.open.values():
            if inc.fine and inc.last >= t - s.link_days:
                for g in self._where(inc, t):
                    self._at_grid.setdefault(g, set()).add(inc.id)
        order = np.lexsort((-alarms["score"].to_numpy(), self.level_rank[alarms["row"].to_numpy()]))
        records = list(alarms.itertuples(index=False))
        out = [None] * len(alarms)
        for i in order:
            a = records[i]
            tg = tags[i] if tags is not None else None
            out[i] = self._place(a, t, tg).id
        return out

    def _place(self, a, t: int, tags) -> Incident:
        s = self.s
        key = (a.kind, a.tier, a.row, a.rule)
        known = self.by_series.get(key)
        if known is not None:
            inc = self.incidents[self.find(known)]
            if inc.last >= t - s.link_days:
                self._attach(inc, a, tags, grow=inc.first >= t - s.link_days)
                return inc
        if a.kind == RULE:                  # a rule is about its own area: same series only
            inc = self._new(RULE, bool(self.fine_row[a.row]), a)
            self._attach(inc, a, tags)
            return inc
        if self.fine_row[a.row]:
            # an incident of the same subject here or next door; else a forming one in this very
            # place (a storm of several subclasses starts together where it is, it does not chain
            # across neighbours)
            halo, here, young = self.halo(a.row), set(self.rows.footprint(a.row).tolist()), t - s.link_days
            near = [inc for inc in self._around(t, halo) if inc.kind == a.kind and inc.last >= young]
            found = [inc for inc in near if self._related(a, inc)] or \
                    [inc for inc in near if inc.first >= young and self._where(inc, t) & here]
            if found:
                keep = min(found, key=lambda inc: (inc.first, inc.id))
                storm = isinstance(a.members, tuple)
                for other in found:
                    # two become one when the alarm relates them and either both are forming (a
                    # storm test that found them rising together, or the same subject) or the other
                    # is about nothing the first is not: an old incident never takes in new subjects
                    if self._related(a, other) and other is not keep and (
                            min(keep.first, other.first) >= young and (storm or self._same(keep, other))
                            or self._within(other, keep)):
                        self._merge(keep, other)
                self._attach(keep, a, tags, grow=keep.first >= young)
                return keep
            inc = self._new(a.kind, True, a)
            self._attach(inc, a, tags)
            return inc
        mask = self.mask(a.row)
        inside = [inc for inc in self.open.values()
                  if inc.kind == a.kind and inc.last >= t - s.link_days and inc.recent
                  and mask[list(self._where(inc, t))].any() and self._related(a, inc)]
        fine = [inc for inc in inside if inc.fine]
        since = t - int(a.window) + 1
        held = sum(self._recent_excess(inc, since) for inc in fine)
        if fine and held >= EXPLAINED * abs(a.observed - a.expected):
            inc = max(fine, key=lambda inc: self._recent_excess(inc, since))
            self._attach(inc, a, tags, grow=False)
            return inc
        coarse = [inc for inc in inside if not inc.fine]
        if coarse:
            keep = min(coarse, key=lambda inc: (inc.first, inc.id))
            for other in coarse:
                if other is not keep and self._within(other, keep):
                    self._merge(keep, other)
            self._attach(keep, a, tags, grow=keep.first >= t - s.link_days)
            return keep
        inc = self._new(a.kind, False, a)
        self._attach(inc, a, tags)
        return inc

    def shown(self, t: int) -> list[Incident]:
        """The incidents on day t's screen: those that alarmed today, and those that alarmed on two
        days or more and within the last hold_days days (a persistent incident does not blink
        off on a day its series rests after a reset; a single blip is shown on its day)."""
        s = self.s
        return [inc for inc in self.open.values()
                if inc.last >= t - (s.hold_days if len(inc.scores) > 1 else 1) + 1]


