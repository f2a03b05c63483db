"""Injected incidents with ground truth, for measuring early warning (domain brief §4).

Each incident adds reports of one subclass in one grid or a cluster of neighbouring grids, on
top of the baseline: a spike (1–3 days), a ramp (rising over 7–14 days) or a step (a new level
for 30–90 days), sized in multiples of the baseline's standard deviation in the 8 weeks before
it. The truth goes to incidents_truth.csv, a file the ETL never reads."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TRUTH_FILE = "incidents_truth.csv"
KINDS = ("spike", "ramp", "step")
CLUSTER_SIZES = (1, 3, 7)
SIZES_SD = {"spike": (3, 5, 8), "ramp": (3, 5, 8), "step": (2, 3, 4)}
BASELINE_DAYS = 56


@dataclass
class Incident:
    incident_id: str
    kind: str
    start: int           # day index
    days: int
    grids: np.ndarray    # grid indices
    sub: int
    size_sd: float
    baseline_mean: float
    baseline_sd: float
    extra: np.ndarray    # extra reports per day


def outbreak_shape(kind: str, days: int, size: float) -> np.ndarray:
    if kind == "ramp":
        return size * np.arange(1, days + 1) / days
    return np.full(days, size)


def plan_incidents(reports: pd.DataFrame, grids, n_days: int, count: int,
                   rng: np.random.Generator, eligible: np.ndarray | None = None) -> list[Incident]:
    """`reports`: baseline rows with sub, day, grid. Incidents never overlap in subclass and grid
    and stay in `eligible` grids (those whose boundary never changes: the truth names them)."""
    xy = np.column_stack([grids.geometry.representative_point().x * np.cos(np.radians(44)),
                          grids.geometry.representative_point().y])
    if eligible is not None:
        xy[~np.asarray(eligible)] = np.inf           # never a neighbour
    ok = np.ones(len(grids)) if eligible is None else np.asarray(eligible, float)
    by_sub = reports.groupby("sub").size().sort_values(ascending=False)
    common = by_sub.index[:15].to_numpy()                 # subclasses with enough volume to matter
    busy: dict[int, set] = {}
    out: list[Incident] = []
    attempts = 0
    while len(out) < count and attempts < count * 50:
        attempts += 1
        kind = KINDS[len(out) % 3]
        days = {"spike": rng.integers(1, 4), "ramp": rng.integers(7, 15),
                "step": rng.integers(30, 91)}[kind]
        start = int(rng.integers(BASELINE_DAYS, n_days - days))
        sub = int(rng.choice(common))
        rows = reports[reports["sub"] == sub]
        per_grid = (np.bincount(rows["grid"], minlength=len(grids)) + 1e-9) * ok
        seed = int(rng.choice(len(grids), p=per_grid / per_grid.sum()))
        size = CLUSTER_SIZES[len(out) // 3 % 3]
        near = np.argsort(((xy - xy[seed]) ** 2).sum(axis=1))[:size]
        taken = busy.setdefault(sub, set())
        span = set(range(start - BASELINE_DAYS, start + days + BASELINE_DAYS))
        if any((g, d) in taken for g in near for d in (start, start + days - 1)):
            continue
        in_cluster = rows[rows["grid"].isin(near)]
        window = in_cluster[(in_cluster["day"] >= start - BASELINE_DAYS) & (in_cluster["day"] < start)]
        if len(window) < 3:          # out of season here (heating complaints in June): not credible
            continue
        daily = np.bincount(window["day"] - (start - BASELINE_DAYS), minlength=BASELINE_DAYS)
        mean = float(daily.mean())
        sd = max(float(daily.std(ddof=1)), np.sqrt(mean), 0.3)
        # at least a few reports at the peak (a ramp must rise); the truth records the real size
        peak = max(float(rng.choice(SIZES_SD[kind])) * sd, 3.0 if kind == "ramp" else 2.0)
        extra = np.maximum(np.round(outbreak_shape(kind, days, peak)), 1).astype(int)
        size_sd = round(float(extra.max()) / sd, 2)
        taken.update((g, d) for g in near for d in span)
        out.append(Incident(f"INC{len(out) + 1:03d}", kind, start, int(days), near, sub, size_sd,
                            round(mean, 3), round(sd, 3), extra))
    return out


def incident_reports(incidents: list[Incident], reports: pd.DataFrame, rng) -> pd.DataFrame:
    """Extra rows (sub, source, day, hour, grid, incident) drawn like the baseline's own mix of
    sources and hours for that subclass, spread over the cluster's grids."""
    rows = []
    for inc in incidents:
        n = int(inc.extra.sum())
        like = reports[reports["sub"] == inc.sub].sample(n, replace=True, random_state=rng.integers(2**31))
        rows.append(pd.DataFrame({
            "sub": inc.sub, "source": like["source"].to_numpy(), "hour": like["hour"].to_numpy(),
            "day": np.repeat(np.arange(inc.start, inc.start + inc.days), inc.extra),
            "grid": rng.choice(inc.grids, n), "incident": inc.incident_id}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["sub", "source", "hour", "day", "grid", "incident"])


def truth_table(incidents: list[Incident], days: np.ndarray, grids, categories) -> pd.DataFrame:
    codes = grids["code"].to_numpy()
    return pd.DataFrame({
        "incident_id": [i.incident_id for i in incidents],
        "type": [i.kind for i in incidents],
        "start_date": [str(days[i.start]) for i in incidents],
        "end_date": [str(days[i.start + i.days - 1]) for i in incidents],
        "grid_codes": [";".join(sorted(codes[i.grids])) for i in incidents],
        "n_grids": [len(i.grids) for i in incidents],
        "class_code": [categories["class_code"].iloc[i.sub] for i in incidents],
        "subclass_code": [categories["subclass_code"].iloc[i.sub] for i in incidents],
        "size_sd": [i.size_sd for i in incidents],
        "baseline_mean_per_day": [i.baseline_mean for i in incidents],
        "baseline_sd_per_day": [i.baseline_sd for i in incidents],
        "extra_events": [int(i.extra.sum()) for i in incidents],
        "extra_per_day": [";".join(map(str, i.extra)) for i in incidents],
    })
