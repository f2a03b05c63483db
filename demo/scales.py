"""The generator's scales: how much of Jilin City, how many people, over which period."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from demo.plans import GRID_PLAN_CHUANYING, JILIN_CITY_PLANS, DistrictPlan


@dataclass(frozen=True)
class Scale:
    name: str
    plans: tuple[DistrictPlan, ...]
    keep_streets: int | None      # keep only this many streets (urban first), for small test data
    residents_per_urban_grid: float
    residents_per_rural_grid: float
    events_per_resident_year: float
    start: dt.date                 # first day of the event history
    end: dt.date                   # last day: the data are "as of" its end
    incidents: int                 # injected incidents (spike/ramp/step) with ground truth
    grid_splits: int = 0           # grids split in two during the period (new codes)
    grid_redraws: int = 0          # pairs of neighbouring grids whose shared border moved


# A fixed end date keeps "same seed, same files" true on any day the generator runs.
END = dt.date(2026, 10, 31)
START = dt.date(2023, 11, 1)

SCALES = {
    # All nine county-level divisions of Jilin City: ~3.7 million residents, ~10 million events.
    "city": Scale("city", JILIN_CITY_PLANS, None, 500, 250, 0.92, START, END, 120, 24, 16),
    # 船营区 at its real size: 15 streets/townships, 120 communities/villages, ~420,000 residents.
    "demo": Scale("demo", (GRID_PLAN_CHUANYING,), None, 500, 250, 0.92, START, END, 36, 6, 4),
    # Three streets of 船营区 (two urban, one township), for tests: seconds to generate.
    "tiny": Scale("tiny", (GRID_PLAN_CHUANYING,), 3, 150, 80, 0.92, dt.date(2025, 11, 1), END, 9, 2, 2),
}
