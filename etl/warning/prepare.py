"""Everything early warning reads from a built warehouse, and every subclass's baseline."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.warning import baseline, series


@dataclass
class Prepared:
    cal: series.Calendar
    areas: series.Areas
    blocks: baseline.Blocks
    categories: pd.DataFrame           # indexed by subclass_code
    cells: dict[str, series.Cells]
    models: dict[str, baseline.Model]

    @property
    def n_days(self) -> int:
        return len(self.cal.days)


def city_counts(areas: series.Areas, cells: series.Cells, n_days: int) -> np.ndarray:
    city = areas.level_rows("city")[0]
    at = cells.area == city
    return np.bincount(cells.day[at], cells.n[at], n_days)


def fit_models(areas, cal, blocks, cells: dict[str, series.Cells]) -> dict[str, baseline.Model]:
    exposure = baseline.exposure_factor(areas, blocks)
    prior = baseline.prior_shares(areas, blocks, list(cells.values()), exposure)
    codes = sorted(cells)
    city = baseline.city_expectation(np.array([city_counts(areas, cells[c], len(cal.days)) for c in codes]), cal)
    return {c: baseline.fit(areas, blocks, cells[c], city[i], prior, exposure) for i, c in enumerate(codes)}


def prepare(con, schema: str = "wh") -> Prepared:
    first, last = series.day_span(con, schema)
    cal = series.read_calendar(con, first, last, schema)
    areas = series.read_areas(con, cal.days, schema)
    cells = series.counts(con, areas, cal, schema)
    blocks = baseline.Blocks(len(cal.days))
    categories = series.subclasses(con, schema).set_index("subclass_code")
    return Prepared(cal, areas, blocks, categories, cells, fit_models(areas, cal, blocks, cells))
