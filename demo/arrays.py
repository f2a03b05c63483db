"""Small vectorised helpers the generator's modules share."""
from __future__ import annotations

import numpy as np


def rank_within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, … within each run of equal values of a grouped (e.g. sorted) array."""
    group = np.asarray(group)
    if len(group) == 0:
        return np.zeros(0, np.int64)
    start = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    return np.arange(len(group)) - np.repeat(start, np.diff(np.r_[start, len(group)]))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1–12) and day (1–31) of datetime64 values, as int64 arrays."""
    d = np.asarray(days).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return year, month, day
