"""`python -m etl evaluate-warnings`: detection quality against a truth file (domain brief §4).

Protocol. The truth file lists injected incidents (incident_id, type, start_date, end_date,
grid_codes separated by ';', subclass_code, size_sd; the generator writes it, and any dataset
following the data contract can bring its own). Every temporal method scores every grid ×
subclass series on every day after the warm-up, prospectively. Days inside an incident, and the
week after it, on its grids and subclass, are outbreak days; every other day of a series that
has at least one report is an outbreak-free day. Each method's threshold is set so that the
same share of outbreak-free series-days alarm (the empirical false-alarm rate, 1 % by default):
methods are compared at equal empirical, not nominal, false-alarm rate. An incident is detected
when a series of its grids alarms between its start and end; the delay is the days from its
start to the first alarm. The spatial scan is judged on incidents of 3 or more grids with a rate
ratio of at least 3: detected if a cluster with p ≤ scan p_value overlaps its grids within 3
days of the start; beside it, the ceiling of any detector on the same incidents (a test at the
same p that knows the incident's grids and first day, scan.oracle_detection). Change points (PELT on the log ratio to baseline) are judged on steps:
found if one lies within ±3 days of the start."""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl import generations
from etl.warning import baseline, detectors, incidents, scan, simulate
from etl.warning.build import QUALITY_FILE
from etl.warning.prepare import Prepared, prepare
from etl.warning.settings import load

METHODS = ("nb", "cusum", "combined", "c1", "c2", "c3")
METHOD_NAMES = {"nb": "负二项基线", "cusum": "负二项+CUSUM", "combined": "负二项基线或 CUSUM（告警所用）",
                "c1": "EARS C1", "c2": "EARS C2",
                "c3": "EARS C3", "scan": "时空扫描", "pelt": "PELT 变点",
                "oracle": "上限：已知位置与起始日"}
BANDS = ((0, 3, "<3 SD"), (3, 5, "3–5 SD"), (5, np.inf, "≥5 SD"))
AFTER_DAYS = 7


class TruthError(ValueError):
    """The truth file is missing or does not follow the documented format."""


def read_truth(path: Path) -> pd.DataFrame:
    need = {"incident_id", "type", "start_date", "end_date", "grid_codes", "subclass_code", "size_sd"}
    if not path.exists():
        raise TruthError(f"找不到真值文件 {path} (truth file not found)")
    truth = pd.read_csv(path, dtype={"grid_codes": str, "subclass_code": str, "class_code": str})
    missing = need - set(truth.columns)
    if missing:
        raise TruthError(f"{path}: 缺少列 {sorted(missing)} (missing columns)")
    truth["start_date"] = pd.to_datetime(truth["start_date"]).to_numpy("datetime64[D]")
    truth["end_date"] = pd.to_datetime(truth["end_date"]).to_numpy("datetime64[D]")
    return truth


def series_scores(p: Prepared, code: str, s, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Every method's score on the given grid series of one subclass, every day (rows × days);
    −inf where a series has no baseline."""
    T = p.n_days
    mu, phi = p.models[code].at(np.repeat(rows, T), np.tile(np.arange(T), len(rows)))
    mu, phi = mu.reshape(len(rows), T), phi.reshape(len(rows), T)
    y = p.cells[code].rows(rows, 0, T)
    nb = -np.log10(np.maximum(detectors.nb_tail(y, mu, phi), 1e-300))
    out = {"nb": nb, "cusum": detectors.cusum(detectors.pit_residual(y, mu, phi), s.cusum_k)}
    # what the product ranks its alerts by (alerts.combine): either method, on one scale
    out["combined"] = np.maximum(nb, out["cusum"] / s.cusum_h * -np.log10(s.nb_alpha))
    out.update(detectors.ears(y))
    defined = np.isfinite(mu)
    # ties broken at random (EARS scores are discrete), so every method can be held to the same
    # false-alarm rate instead of the nearest rate its discrete scores allow; the jitter must
    # survive float32 (the kept scores): a millionth did not, at a score of 5 (EARS's one report
    # after a quiet week), and EARS stopped at half the target rate
    jitter = np.random.default_rng(int(code) if code.isdigit() else 0).uniform(0, 1e-4, y.shape)
    for k in out:
        out[k] = np.where(defined, np.nan_to_num(out[k], nan=-np.inf) + jitter, -np.inf)
    return out


def temporal(p: Prepared, truth: pd.DataFrame, s, far: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    grid_row = pd.Series(np.arange(p.areas.n_grids), index=p.areas.codes[:p.areas.n_grids])
    # the threshold is the score ranked far × (outbreak-free series-days): never more than this
    # many, so each method keeps only its highest scores so far (at city scale every positive
    # score of every subclass was gigabytes)
    keep = int(np.ceil(far * p.areas.n_grids * p.n_days * len(p.models))) + 1
    free_scores = {m: np.empty(0, np.float32) for m in METHODS}
    n_free = 0
    per_incident = {m: {} for m in METHODS}
    for code in p.models:
        sc = series_scores(p, code, s, np.arange(p.areas.n_grids))
        cells = p.cells[code]
        active = np.zeros(p.areas.n_grids, bool)
        active[cells.area[cells.area < p.areas.n_grids]] = True
        free = np.isfinite(sc["nb"]) & active[:, None]
        free[:, :baseline.WARMUP] = False
        for _, inc in truth[truth["subclass_code"] == code].iterrows():
            rows = grid_row.reindex(inc["grid_codes"].split(";")).dropna().astype(int).to_numpy()
            free[rows, max(inc["t0"], 0):inc["t1"] + AFTER_DAYS + 1] = False
            for m in METHODS:
                per_incident[m][inc["incident_id"]] = sc[m][rows, max(inc["t0"], 0):inc["t1"] + 1].max(axis=0)
        n_free += int(free.sum())
        for m in METHODS:
            v = sc[m][free]
            free_scores[m] = _largest(np.concatenate([free_scores[m], v[v > 0].astype(np.float32)]), keep)
        del sc
    rows, per = [], []
    for m in METHODS:
        v = np.sort(free_scores[m])[::-1]
        allowed = int(np.floor(far * n_free))
        threshold = float(v[allowed]) if allowed < len(v) else 0.0
        alarms_free = int((v > threshold).sum())
        for _, inc in truth.iterrows():
            series = per_incident[m].get(inc["incident_id"])
            hit = np.flatnonzero(series > threshold) if series is not None else np.array([])
            per.append({"method": m, "incident_id": inc["incident_id"], "type": inc["type"],
                        "size_sd": inc["size_sd"], "detected": len(hit) > 0,
                        "delay": int(hit[0]) if len(hit) else np.nan})
        rows.append({"method": m, "threshold": threshold, "far": alarms_free / max(n_free, 1)})
    return pd.DataFrame(rows), pd.DataFrame(per)


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """The k largest values (all of them when there are fewer), in no order."""
    return values if len(values) <= k else np.partition(values, len(values) - k)[len(values) - k:]


def spatial(p: Prepared, truth: pd.DataFrame, s, seed: int = 11) -> pd.DataFrame:
    """The scan on cluster incidents with rate ratio ≥ 3, in the first 3 days: found when a
    cluster of the incident's subclass, its class or all reports takes in one of its grids."""
    rng = np.random.default_rng(seed)
    G = p.areas.n_grids
    nbr = scan.neighbours(p.areas.xy, s.scan_max_grids)
    grid_row = dict(zip(p.areas.codes[:G], range(G)))
    series = {code: (cells, model) for code, cells, model in scan.tiers(p)}
    out = []
    extra = truth["extra_events"] / (truth["t1"] - truth["t0"] + 1) if "extra_events" in truth else np.inf
    ratio = 1 + extra / truth.get("baseline_mean_per_day", pd.Series(np.nan, index=truth.index))
    chosen = truth[(truth.get("n_grids", pd.Series(1, index=truth.index)) >= 3) & (ratio.fillna(np.inf) >= 3)]
    for _, inc in chosen.iterrows():
        code, t0 = inc["subclass_code"], int(inc["t0"])
        if code not in p.models or t0 < baseline.WARMUP:
            continue
        rows = {grid_row[g] for g in inc["grid_codes"].split(";") if g in grid_row}
        lo, hi = max(0, t0 - s.scan_max_days + 1), min(p.n_days, t0 + 3)
        span = np.arange(lo, hi)
        lags, ceiling = [], None
        for tier in (code, p.categories["class_code"].get(code), scan.ALL):
            if tier not in series:
                continue
            cells, model = series[tier]
            y, mu, phi = cells.dense(G, lo, hi), np.nan_to_num(model.mu(span)[:G]), model.dispersion(span)[:G]
            lag = scan.first_detection(y, mu, phi, t0 - lo, rows, nbr, s, rng)
            if lag is not None:
                lags.append(lag)
            if tier == code:            # the ceiling on the incident's own series
                at = sorted(rows)
                ceiling = scan.oracle_detection(y[at, t0 - lo:], mu[at, t0 - lo:], phi[at, t0 - lo:], s.scan_p_value)
        found = min(lags) if lags else None
        for method, lag in (("scan", found), ("oracle", ceiling)):
            out.append({"method": method, "incident_id": inc["incident_id"], "type": inc["type"],
                        "size_sd": inc["size_sd"], "detected": lag is not None, "delay": lag})
    return pd.DataFrame(out, columns=["method", "incident_id", "type", "size_sd", "detected", "delay"])


def change_points(p: Prepared, truth: pd.DataFrame) -> pd.DataFrame:
    grid_row = pd.Series(np.arange(p.areas.n_grids), index=p.areas.codes[:p.areas.n_grids])
    out = []
    for _, inc in truth[truth["type"] == "step"].iterrows():
        code = inc["subclass_code"]
        t0, t1 = inc["t0"], inc["t1"]
        rows = grid_row.reindex(inc["grid_codes"].split(";")).dropna().astype(int).to_numpy()
        if code not in p.models or t0 < baseline.WARMUP or not len(rows):
            continue
        lo, hi = t0 - incidents.BEFORE, min(p.n_days, t1 + incidents.BEFORE)
        days = np.arange(lo, hi)
        mu = np.nan_to_num(p.models[code].mu(days)[rows]).sum(axis=0)
        cells = p.cells[code]
        keep = np.isin(cells.area, rows) & (cells.day >= lo) & (cells.day < hi)
        y = np.bincount(cells.day[keep] - lo, cells.n[keep], hi - lo)
        found = incidents.step_found(y, mu, incidents.BEFORE)
        out.append({"method": "pelt", "incident_id": inc["incident_id"], "type": "step",
                    "size_sd": inc["size_sd"], "detected": found is not None,
                    "delay": found if found is not None else np.nan})
    return pd.DataFrame(out, columns=["method", "incident_id", "type", "size_sd", "detected", "delay"])


def summary(thresholds: pd.DataFrame, per: pd.DataFrame) -> pd.DataFrame:
    rows = []
    far = dict(zip(thresholds["method"], thresholds["far"]))
    for m, group in per.groupby("method", sort=False):
        for lo, hi, band in ((0, np.inf, "全部"),) + BANDS:
            g = group[(group["size_sd"] >= lo) & (group["size_sd"] < hi)]
            if not len(g):
                continue
            rows.append({"method": m, "方法": METHOD_NAMES[m], "outbreak_size": band,
                         "incidents": len(g), "detected": int(g["detected"].sum()),
                         "pod": round(float(g["detected"].mean()), 3),
                         "median_delay_days": float(g["delay"].median()) if g["detected"].any() else np.nan,
                         "false_alarm_rate": round(far[m], 4) if m in far else np.nan})
    return pd.DataFrame(rows)


def simulated_summary(per: pd.DataFrame) -> pd.DataFrame:
    rows = []
    sizes = per["size_sd"].map(lambda v: f"{v:g} SD" if pd.notna(v) else "阶跃")
    if "label" in per:
        sizes = per["label"].where(per["label"].notna(), sizes)
    for (m, size), g in per.groupby(["method", sizes], sort=False):
        rows.append({"method": m, "方法": METHOD_NAMES[m], "outbreak_size": size,
                     "trials": len(g), "pod": round(float(g["detected"].mean()), 3),
                     "median_delay_days": float(g["delay"].median()) if g["detected"].any() else np.nan})
    return pd.DataFrame(rows).sort_values(["method", "outbreak_size"], kind="stable")


def evaluate(warehouse: Path, truth_path: Path, far: float = 0.01, trials: int = 0,
             cluster_trials: int = 0, cluster_bands=simulate.CLUSTER_BANDS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The truth file's incidents, and (`trials` > 0) synthetic outbreaks per method and size
    (etl/warning/simulate.py), all at the same false-alarm rate."""
    served = generations.current(warehouse)
    if served is None:
        raise TruthError(f"{warehouse} 还没有发布的版本: 先运行 python -m etl refresh (no served generation)")
    truth = read_truth(truth_path)
    s = load()
    con = duckdb.connect()
    con.execute(f"ATTACH '{str(served.path).replace(chr(39), chr(39) * 2)}' AS wh (READ_ONLY)")
    try:
        p = prepare(con)
    finally:
        con.close()
    truth["t0"] = (truth["start_date"].to_numpy("datetime64[D]") - p.cal.days[0]).astype(int)
    truth["t1"] = (truth["end_date"].to_numpy("datetime64[D]") - p.cal.days[0]).astype(int)
    thresholds, per = temporal(p, truth, s, far)
    per = pd.concat([per, spatial(p, truth, s), change_points(p, truth)], ignore_index=True)
    table = summary(thresholds, per)
    table["generation"] = served.id
    simulated = pd.DataFrame()
    if trials or cluster_trials:
        th = dict(zip(thresholds["method"], thresholds["threshold"]))
        sims = [simulate.temporal_trials(p, s, th, trials, score=series_scores)] if trials else []
        sims += [simulate.cluster_trials(p, s, cluster_trials, bands=cluster_bands)] if cluster_trials else []
        simulated = simulated_summary(pd.concat(sims, ignore_index=True))
        simulated["generation"] = served.id
    return table, simulated


def evaluate_command(source: Path, warehouse: Path, truth: Path | None, far: float, save: bool,
                     trials: int = 0, cluster_trials: int = 0) -> int:
    try:
        table, simulated = evaluate(warehouse, truth or Path(source) / "incidents_truth.csv", far,
                                    trials, cluster_trials)
    except TruthError as exc:
        print(exc, file=sys.stderr)
        return 2
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print("真值文件中的事件 (incidents in the truth file):")
        print(table.drop(columns=["generation"]).to_string(index=False))
        if len(simulated):
            print("\n注入的模拟事件 (synthetic outbreaks injected into the same series):")
            print(simulated.drop(columns=["generation"]).to_string(index=False))
    if save:
        table["source"] = "真值文件"
        simulated["source"] = "模拟注入"
        pd.concat([table, simulated], ignore_index=True).to_csv(Path(warehouse) / QUALITY_FILE, index=False)
        print(f"已保存 {Path(warehouse) / QUALITY_FILE}; 下次刷新后驾驶舱显示 (shown after the next refresh)")
    return 0
