"""Dense (rows × days) counts, expectations and variances of every tier, one tier at a time.

Every subclass's arrays are made once and added into its class's and into all reports' (a city's
rows × a few months stay in memory; a demo's three years too). A 片区's row is the sum of its
grids'. Where a row has no expectation (before the warm-up, a grid not yet drawn or redrawn away)
μ is NaN."""
from __future__ import annotations

from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from etl.warning.prepare import Prepared, Tier

AHEAD = 2             # subclasses whose arrays are made ahead on a pool


@dataclass
class Arrays:
    y: np.ndarray        # reports
    mu: np.ndarray       # expectation, NaN where none
    var: np.ndarray      # μ + φμ² (0 where no expectation)

    def __iadd__(self, other: "Arrays") -> "Arrays":
        self.y += other.y
        self.var += other.var
        self.mu = np.where(np.isnan(self.mu), other.mu, self.mu + np.nan_to_num(other.mu))
        return self

    def copy(self) -> "Arrays":
        return Arrays(self.y.copy(), self.mu.copy(), self.var.copy())


def _one(p: Prepared, cells, model, days: np.ndarray) -> Arrays:
    """A subclass's (or the patrol reports') arrays, the 片区 rows after the areas: made at their
    full height at once (stacking the 片区 under the areas copied every array again)."""
    n, total, width = p.rows.n_areas, len(p.rows.codes), len(days)
    y = np.zeros((total, width))
    y[:n] = cells.dense(n, int(days[0]), int(days[-1]) + 1)
    mu = np.full((total, width), np.nan)
    mu[:n] = model.mu(days)
    var = np.zeros((total, width))
    var[:n] = np.nan_to_num(mu[:n] + model.dispersion(days) * mu[:n] ** 2)
    _fill_nbhd(p, y, mu, var)
    return Arrays(y, mu, var)


def _fill_nbhd(p: Prepared, y: np.ndarray, mu: np.ndarray, var: np.ndarray) -> None:
    """The 片区 rows: sums of their grids' rows (no expectation where none of its grids has)."""
    nb = p.rows.grids[p.rows.n_areas:]
    if nb.shape[0] == 0:
        return
    n, G = p.rows.n_areas, p.areas.n_grids
    y[n:] = nb @ y[:G]
    mu[n:] = nb @ np.nan_to_num(mu[:G])
    mu[n:][(nb @ np.isfinite(mu[:G]).astype(np.float32)) == 0] = np.nan
    var[n:] = nb @ var[:G]


def tier_arrays(p: Prepared, days: np.ndarray, pool: Executor | None = None) -> Iterator[tuple[Tier, Arrays]]:
    """(tier, arrays) in the order of p.tiers: each subclass, its class after its last subclass,
    all reports, then the patrol reports. The arrays yielded must not be changed. With a `pool`,
    the next subclasses' arrays are made on it while the caller works on this one's."""
    subclasses = iter([t for t in p.tiers if t.kind == "subclass" and t.code in p.cells])
    ahead: deque = deque()

    def make(tier: Tier) -> Arrays:
        return _one(p, p.cells[tier.code], p.models[tier.code], days)

    def next_subclass() -> Arrays:
        while pool is not None and len(ahead) < AHEAD and (t := next(subclasses, None)) is not None:
            ahead.append(pool.submit(make, t))
        return ahead.popleft().result() if pool is not None else make(next(subclasses))

    total = klass = current = None
    for tier in p.tiers:
        if tier.kind == "subclass" and tier.code in p.cells:
            a = next_subclass()
            yield tier, a
            cls = p.categories["class_code"].get(tier.code)
            if klass is None or cls != current:
                klass, current = a.copy(), cls
            else:
                klass += a
            if total is None:
                total = a.copy()
            else:
                total += a
        elif tier.kind == "class" and klass is not None and current == tier.code:
            yield tier, klass
            klass = None
        elif tier.kind == "all" and total is not None:
            yield tier, total
        elif tier.kind == "patrol":
            yield tier, _one(p, p.patrol, p.patrol_model, days)
