"""What every service table draws from: the layers' codes and names, the calendar, the residents
per grid and community, the targets; and the small drawing helpers they share."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from demo.services.calibration import service_targets
from etl.workcalendar import WorkCalendar

# regions (6-digit codes) of the city where residents' ID numbers and firms are registered
FIRM_REGIONS = np.array(["220202", "220203", "220204", "220211", "220201"])


def pick(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One category per element; probs is (k rows × m), rows picks each element's row."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[1] - 1)


def days_weighted(rng, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day index in [lo, hi] (inclusive) per element, with probability ∝ weights[day];
    uniform where the window has no weight."""
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    a, b = cum[lo], cum[hi + 1]
    u = a + rng.random(len(lo)) * (b - a)
    idx = np.searchsorted(cum, u, side="right") - 1
    uniform = lo + (rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)
    return np.where(b > a, np.clip(idx, lo, hi), uniform)


def seq_ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill((np.arange(n) + 1).astype(f"U{width}"), width))


def dates(start: np.datetime64, offsets: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    days = start + offsets.astype("timedelta64[D]")
    return pa.array(days, type=pa.date32(), mask=None if valid is None else ~valid)


def nullable(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(values.astype(object), type=pa.string(), mask=~valid)


def office(name: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """居委会 / 村委会 of a community, 办事处 / 人民政府 of a street or township."""
    suffix = np.select([kind == "社区", kind == "村", kind == "街道"], ["居委会", "村委会", "办事处"],
                       "人民政府")
    return np.char.add(name.astype(str), suffix)


class Context:
    def __init__(self, layers, persons_per_grid: np.ndarray, scale, rng: np.random.Generator):
        grids = layers.grids.reset_index(drop=True)
        if len(grids) != len(persons_per_grid):
            raise ValueError("persons_per_grid must have one count per grid, in layers.grids order")
        comm = pd.DataFrame(layers.communities.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
        streets = pd.DataFrame(layers.streets.drop(columns="geometry", errors="ignore")).set_index("code")
        self.rng = rng
        self.start = np.datetime64(scale.start, "D")
        self.end = np.datetime64(scale.end, "D")
        self.n_days = int((self.end - self.start).astype(int)) + 1
        cal = WorkCalendar(scale.start, scale.end)
        self.workday = cal.work_min_per_day > 0
        self.days = cal.days
        self.cum_work = np.cumsum(self.workday)
        self.month = self.days.astype("datetime64[M]").astype(np.int64) % 12 + 1
        self.dom = (self.days - self.days.astype("datetime64[M]")).astype(np.int64) + 1
        self.residents = int(np.asarray(persons_per_grid).sum())

        self.grid_code = grids["code"].to_numpy().astype(str)
        comm_index = pd.Index(comm["code"])
        self.grid_comm = comm_index.get_indexer(grids["community_code"])
        if (self.grid_comm < 0).any():
            raise ValueError("a grid's community_code is not in layers.communities")
        self.grid_pop = np.asarray(persons_per_grid, dtype=float)
        self.comm_code = comm["code"].to_numpy().astype(str)
        self.comm_name = comm["name"].to_numpy().astype(str)
        self.comm_kind = comm["kind"].to_numpy().astype(str)
        self.comm_urban = comm["urban"].to_numpy().astype(bool)
        self.comm_pop = np.bincount(self.grid_comm, weights=self.grid_pop, minlength=len(comm))
        self.comm_office = office(self.comm_name, self.comm_kind)
        st = streets.loc[comm["street_code"]]
        self.comm_street_code = comm["street_code"].to_numpy().astype(str)
        self.comm_street_office = office(st["name"].to_numpy().astype(str), st["kind"].to_numpy().astype(str))
        self.comm_district = comm["district_code"].to_numpy().astype(str)
        self.streets = streets.reset_index()
        self.districts = pd.DataFrame(layers.districts.drop(columns="geometry", errors="ignore"))
        self.targets = service_targets(self.residents)
