"""Trials: incidents of shapes the generator does not make, planted into the warehouse's own
counts for the replay (`evaluate-warnings --trials N`).

Shapes (round-robin):
- slow_ramp: one subclass in 1 or 3 neighbouring grids rising linearly over 30–45 days to its size;
- weekday: one subclass up by its size on working days only, for 2–3 weeks;
- boundary: a 2–5-day cluster of 4–6 neighbouring grids, half in one community and half in the
  next (a community's or street's series sees only part of it);
- storm: three subclasses of three classes together in 3 neighbouring grids for 1–3 days (rain:
  waterlogging, road damage and power reports at once);
- season_step: one subclass across the whole district up by 60 % from a date for 30–60 days (a
  season that starts on a date);
- drop: a grid expecting at least one report a day loses 80–100 % of its reports for 2–3 weeks;
- patrol_drop: the same for its grid worker's patrol reports only (不履职).
Sizes are multiples of the SD of the series' daily count over the 8 weeks before (floored like
the generator's: max(sd, √mean, 0.3)). Incidents never overlap each other or the data's own
truth in grid, subclass and time (with 4 weeks either side). The counts of every level above a
grid change with it; the baselines are then refitted on the planted data (an incident enters its
own baseline as a real one does)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.warning import baseline, series
from etl.warning.prepare import Prepared
from etl.warning.settings import Settings

PREFIX = "TRIAL"
BATCH = 28
SHAPES = ("slow_ramp", "weekday", "boundary", "storm", "drop", "patrol_drop", "season_step")
SIZES = (3.0, 5.0, 8.0)
MARGIN = 28
BEFORE = 56


class _Plan:
    def __init__(self, p: Prepared, s: Settings, taken: list, rng):
        self.p, self.s, self.rng, self.taken = p, s, rng, taken
        csc = p.areas.members.tocsc()
        self.up = [csc.indices[csc.indptr[g]:csc.indptr[g + 1]] for g in range(p.areas.n_grids)]
        self.add = {c: [] for c in p.cells}
        self.add_patrol = []
        G = p.areas.n_grids
        self.volume = {c: np.bincount(p.cells[c].area[p.cells[c].area < G], p.cells[c].n[p.cells[c].area < G], G)
                       for c in p.cells}
        self.community = np.array([str(c)[:12] for c in p.areas.codes[:G]])
        is_work = ~(((p.cal.dow >= 5) & ~p.cal.on_weekend) | p.cal.off_weekday)
        self.workday = is_work

    # -- where and when ------------------------------------------------------------------
    def free(self, grids, subclasses, lo, hi) -> bool:
        g = None if grids is None else set(int(x) for x in grids)
        for tg, ts, tlo, thi in self.taken:
            if hi + MARGIN < tlo or thi + MARGIN < lo:
                continue
            if (tg is None or g is None or g & tg) and (ts is None or subclasses is None or set(subclasses) & ts):
                return False
        return True

    def take(self, grids, subclasses, lo, hi) -> None:
        self.taken.append((None if grids is None else set(int(x) for x in grids),
                           None if subclasses is None else set(subclasses), lo, hi))

    def start(self, days: int) -> int:
        first = baseline.WARMUP + BEFORE + self.s.lead_days
        return int(self.rng.integers(first, self.p.n_days - days - 7))

    def nearest(self, g: int, k: int) -> np.ndarray:
        d = ((self.p.areas.xy - self.p.areas.xy[g]) ** 2).sum(axis=1)
        d[~self.p.areas.exists[:self.p.areas.n_grids, -1]] = np.inf
        return np.argsort(d)[:k]

    def grid_for(self, code: str) -> int:
        v = self.volume[code] * self.p.areas.exists[:self.p.areas.n_grids, -1]
        return int(self.rng.choice(len(v), p=v / v.sum()))

    def series(self, code: str | None, grids, t0: int, patrol: bool = False) -> np.ndarray:
        """The daily counts of the 8 weeks before t0, summed over grids (code None: all reports)."""
        lo = t0 - BEFORE
        if patrol:
            return self.p.patrol.rows(np.asarray(grids), lo, t0).sum(axis=0)
        codes = [code] if code else list(self.p.cells)
        return sum(self.p.cells[c].rows(np.asarray(grids), lo, t0).sum(axis=0) for c in codes)

    @staticmethod
    def sd(before: np.ndarray) -> float:
        return max(float(np.std(before, ddof=1)), float(np.sqrt(max(before.mean(), 0.0))), 0.3)

    # -- changing the counts -------------------------------------------------------------
    def put(self, code: str | None, grid: int, day: int, n: int) -> None:
        if n == 0:
            return
        rows = self.up[grid]
        target = self.add_patrol if code is None else self.add[code]
        target.append((rows, np.full(len(rows), day), np.full(len(rows), n)))

    def spread(self, code: str, grids, t0: int, extra: np.ndarray) -> None:
        """extra[i] more reports of `code` on day t0 + i, each in one of the grids at random."""
        for i, n in enumerate(extra.astype(int)):
            if n > 0:
                for g, k in zip(*np.unique(self.rng.choice(grids, n), return_counts=True)):
                    self.put(code, int(g), t0 + i, int(k))

    def counts_at(self, grid: int, lo: int, hi: int) -> dict[str, np.ndarray]:
        return {c: self.p.cells[c].rows(np.array([grid]), lo, hi)[0].astype(int) for c in self.p.cells}

    def cells(self) -> tuple[dict, series.Cells]:
        out = {}
        for code, c in self.p.cells.items():
            out[code] = _consolidate(c, self.add[code], self.p.n_days)
        return out, _consolidate(self.p.patrol, self.add_patrol, self.p.n_days)


def _consolidate(c: series.Cells, extra: list, n_days: int) -> series.Cells:
    if not extra:
        return c
    area = np.concatenate([c.area] + [e[0] for e in extra])
    day = np.concatenate([c.day] + [e[1] for e in extra])
    n = np.concatenate([c.n] + [e[2] for e in extra])
    key = area.astype(np.int64) * n_days + day
    uniq, at = np.unique(key, return_inverse=True)
    total = np.bincount(at, n).astype(np.int64)
    keep = total > 0
    return series.Cells((uniq[keep] // n_days).astype(c.area.dtype), (uniq[keep] % n_days).astype(c.day.dtype),
                        total[keep].astype(c.n.dtype))


def _row(prefix, k, shape, direction, t0, t1, grids, subclasses, p, size=np.nan, source="") -> dict:
    return {"incident_id": f"{prefix}{k:03d}", "type": shape, "direction": direction,
            "start_date": p.cal.days[t0], "end_date": p.cal.days[t1],
            "grid_codes": tuple(sorted(str(p.areas.codes[g]) for g in grids)),
            "subclasses": tuple(subclasses), "class_code": "", "source": source, "size_sd": size}


def _excess(plan: _Plan, shape: str, rng):
    p = plan.p
    codes = [c for c in p.cells if plan.volume[c].sum() >= 200]
    size = float(rng.choice(SIZES))
    if shape == "storm":
        classes = p.categories["class_code"].reindex(codes)
        picked = rng.choice(classes.dropna().unique(), 3, replace=False)
        subs = [str(rng.choice(classes.index[classes == c])) for c in picked]
        days = int(rng.integers(1, 4))
        g = plan.grid_for(subs[0])
        grids = plan.nearest(g, 3)
    else:
        subs = [str(rng.choice(codes))]
        g = plan.grid_for(subs[0])
        if shape == "slow_ramp":
            days, grids = int(rng.integers(30, 46)), plan.nearest(g, int(rng.choice([1, 3])))
        elif shape == "weekday":
            days, grids = int(rng.integers(14, 22)), plan.nearest(g, int(rng.choice([1, 2, 3])))
        else:                                                   # boundary
            days = int(rng.integers(2, 6))
            near = plan.nearest(g, 40)
            mine = near[plan.community[near] == plan.community[g]][:int(rng.integers(2, 4))]
            other = near[plan.community[near] != plan.community[g]][:int(rng.integers(2, 4))]
            if len(other) < 2:
                return None
            grids = np.r_[mine, other]
    t0 = plan.start(days)
    if not plan.free(grids, subs, t0, t0 + days - 1):
        return None
    for code in subs:
        sd = plan.sd(plan.series(code, grids, t0))
        if shape == "slow_ramp":
            extra = np.round(size * sd * np.arange(1, days + 1) / days)
        elif shape == "weekday":
            extra = np.where(plan.workday[t0:t0 + days], np.maximum(np.round(size * sd), 1), 0)
        else:
            extra = np.full(days, max(np.round(size * sd), 1))
        plan.spread(code, grids, t0, extra)
    plan.take(grids, subs, t0, t0 + days - 1)
    return shape, "excess", t0, t0 + days - 1, grids, subs, size, ""


def _season(plan: _Plan, rng):
    p = plan.p
    codes = [c for c in p.cells if plan.volume[c].sum() >= 1000]
    code = str(rng.choice(codes))
    days = int(rng.integers(30, 61))
    t0 = plan.start(days)
    if not plan.free(None, [code], t0, t0 + days - 1):
        return None
    G = p.areas.n_grids
    grids = np.flatnonzero(p.areas.exists[:G, t0])
    span = np.arange(t0, t0 + days)
    mu = np.nan_to_num(p.models[code].mu(span)[grids])
    extra = rng.poisson(0.6 * mu)
    for (i, t) in zip(*np.nonzero(extra)):
        plan.put(code, int(grids[i]), int(span[t]), int(extra[i, t]))
    plan.take(None, [code], t0, t0 + days - 1)
    return "season_step", "excess", t0, t0 + days - 1, grids, [code], np.nan, ""


def _drop(plan: _Plan, patrol: bool, rng):
    p = plan.p
    G = p.areas.n_grids
    days = int(rng.integers(14, 22))
    t0 = plan.start(days)
    # grids expecting at least one (patrol) report a day in the 8 weeks before
    source = p.patrol if patrol else None
    lo = t0 - BEFORE
    if patrol:
        per_day = source.dense(G, lo, t0).mean(axis=1)
    else:
        per_day = sum(c.dense(G, lo, t0) for c in p.cells.values()).mean(axis=1)
    able = np.flatnonzero((per_day >= 1) & p.areas.exists[:G, t0] & p.areas.exists[:G, t0 + days - 1])
    if not len(able):
        return None
    g = int(rng.choice(able))
    if not plan.free([g], None, t0, t0 + days - 1):
        return None
    share = float(rng.choice([0.8, 0.9, 1.0]))
    counts = plan.counts_at(g, t0, t0 + days)
    own = p.patrol.rows(np.array([g]), t0, t0 + days)[0].astype(int)
    if patrol:
        gone = rng.binomial(own, share)
        for i, k in enumerate(gone):
            if k == 0:
                continue
            plan.put(None, g, t0 + i, -int(k))
            # the patrol reports taken out of the subclasses they were in, as drawn from that day's
            codes = [c for c in counts if counts[c][i] > 0]
            have = np.array([counts[c][i] for c in codes])
            take = rng.multivariate_hypergeometric(have, min(int(k), int(have.sum())))
            for c, n in zip(codes, take):
                plan.put(c, g, t0 + i, -int(n))
    else:
        for c, n in counts.items():
            for i, k in enumerate(rng.binomial(n, share)):
                plan.put(c, g, t0 + i, -int(k))
        for i, k in enumerate(rng.binomial(own, share)):
            plan.put(None, g, t0 + i, -int(k))
    plan.take([g], None, t0, t0 + days - 1)
    return ("patrol_drop" if patrol else "drop"), "drop", t0, t0 + days - 1, [g], [], np.nan, \
        (plan.s.patrol_source if patrol else "")


def plant(p: Prepared, s: Settings, truth: pd.DataFrame, n: int, rng, prefix: str = PREFIX):
    """(the data with n incidents planted, their truth in truth.normalise's form). `truth`: the
    data's own incidents, located (truth.locate), which the planted ones keep clear of."""
    taken = [(set(int(g) for g in r.grids), set(r.subclasses) if len(r.subclasses) else None, int(r.t0), int(r.t1))
             for r in truth.itertuples()]
    plan = _Plan(p, s, taken, rng)
    rows = []
    k = 0
    while len(rows) < n and k < n * 60:
        # round the shapes by attempt: a shape the data cannot hold (no grid with a report a day
        # to fall silent) is tried in its turn and the others still come
        shape = SHAPES[k % len(SHAPES)]
        k += 1
        if shape == "season_step":
            got = _season(plan, rng)
        elif shape in ("drop", "patrol_drop"):
            got = _drop(plan, shape == "patrol_drop", rng)
        else:
            got = _excess(plan, shape, rng)
        if got is not None:
            name, direction, t0, t1, grids, subs, size, source = got
            rows.append(_row(prefix, len(rows) + 1, name, direction, t0, t1, grids, subs, p, size, source))
    cells, patrol = plan.cells()
    return p.with_cells(cells, patrol), pd.DataFrame(rows)
