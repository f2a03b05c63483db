"""Alerts: which area × subclass × day is out of line, by which method, and the daily budget.

The negative-binomial test runs on every non-zero count of the whole history (cheap: only those
cells can alarm); the CUSUM needs every day, so it runs on the recent window only, started a
month earlier so its statistic has settled. Fixed-threshold rules come from the settings file."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.warning import detectors
from etl.warning.prepare import Prepared
from etl.warning.settings import Settings

CUSUM_LEAD = 30
COLUMNS = ["subclass_code", "area", "day", "observed", "expected", "phi", "p_value", "cusum", "rule"]


def negative_binomial(p: Prepared, s: Settings) -> pd.DataFrame:
    out = []
    for code, cells in p.cells.items():
        keep = cells.n >= s.nb_min_count
        area, day, n = cells.area[keep], cells.day[keep], cells.n[keep]
        mu, phi = p.models[code].at(area, day)
        ok = np.isfinite(mu)
        pv = np.ones(len(n))
        pv[ok] = detectors.nb_tail(n[ok], mu[ok], phi[ok])
        hit = pv < s.nb_alpha
        out.append(pd.DataFrame({"subclass_code": code, "area": area[hit], "day": day[hit],
                                 "observed": n[hit], "expected": mu[hit], "phi": phi[hit],
                                 "p_value": pv[hit]}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS[:7])


def cusum(p: Prepared, s: Settings, rows_per_batch: int = 50_000) -> pd.DataFrame:
    """All series of a batch of subclasses run through one CUSUM loop over the days (a batch
    is bounded in rows, so a city's ten thousand areas stay within memory)."""
    T = p.n_days
    start = max(0, T - s.recent_days - CUSUM_LEAD)
    days = np.arange(start, T)
    first_shown = max(0, T - s.recent_days) - start
    n_areas = len(p.areas.codes)
    codes = np.array(list(p.cells))
    per_batch = max(1, rows_per_batch // n_areas)
    out = [pd.DataFrame(columns=COLUMNS[:6] + ["cusum"])]
    for lo in range(0, len(codes), per_batch):
        batch = codes[lo:lo + per_batch]
        mus, phis, ys = [], [], []
        for code in batch:
            model = p.models[code]
            mus.append(model.mu(days))
            phis.append(model.dispersion(days))
            ys.append(p.cells[code].dense(n_areas, start, T))
        mu, phi, y = np.concatenate(mus), np.concatenate(phis), np.concatenate(ys)
        stat = detectors.cusum(detectors.pit_residual(y, mu, phi), s.cusum_k)
        row, col = np.nonzero(stat[:, first_shown:] > s.cusum_h)
        col = col + first_shown
        out.append(pd.DataFrame({"subclass_code": batch[row // n_areas], "area": row % n_areas,
                                 "day": days[col], "observed": y[row, col].astype(int),
                                 "expected": mu[row, col], "phi": phi[row, col], "cusum": stat[row, col]}))
    return pd.concat(out, ignore_index=True)


def combine(nb: pd.DataFrame, cu: pd.DataFrame, s: Settings) -> pd.DataFrame:
    """One row per area × subclass × day, whichever methods fired. The score ranks alerts
    across methods: −log10 p, and a CUSUM scaled so that its threshold h scores like α."""
    keys = ["subclass_code", "area", "day"]
    both = nb.merge(cu, on=keys, how="outer", suffixes=("", "_cu"))
    for col in ("observed", "expected", "phi"):
        mine, theirs = both[col].to_numpy(float), both[f"{col}_cu"].to_numpy(float)
        both[col] = np.where(np.isnan(mine), theirs, mine)
    both = both.drop(columns=[c for c in both if c.endswith("_cu")])
    need = both["p_value"].isna()
    if need.any():
        both.loc[need, "p_value"] = detectors.nb_tail(
            both.loc[need, "observed"].to_numpy(float), both.loc[need, "expected"].to_numpy(float),
            both.loc[need, "phi"].to_numpy(float))
    nb_score = -np.log10(np.maximum(both["p_value"].to_numpy(float), 1e-300))
    nb_score = np.where(both["p_value"] < s.nb_alpha, nb_score, 0.0)
    cu_score = both["cusum"].fillna(0).to_numpy() / s.cusum_h * -np.log10(s.nb_alpha)
    both["score"] = np.maximum(nb_score, cu_score)
    both["observed"] = both["observed"].astype(int)
    return both


def _all_cells(p: Prepared, first_day: int) -> pd.DataFrame:
    parts = [pd.DataFrame({"subclass_code": code, "area": c.area, "day": c.day, "n": c.n})
             for code, c in p.cells.items()]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["subclass_code", "area", "day", "n"])
    return frame[frame["day"] >= first_day]


def rules(p: Prepared, s: Settings, backlog: pd.DataFrame) -> pd.DataFrame:
    """Fixed thresholds. `backlog`: level, area_code, subclass_code, open, overdue at the as-of
    instant. Subclass "*": each subclass on its own; "all": all together."""
    T, out = p.n_days, []
    codes = pd.Series(np.arange(len(p.areas.codes)), index=p.areas.codes)
    cells = _all_cells(p, max(0, T - s.recent_days)) if s.rules else None
    for rule in s.rules:
        if rule.metric == "reported":
            f = cells[np.isin(cells["area"], p.areas.level_rows(rule.level))]
            if rule.subclass == "all":
                f = f.groupby(["area", "day"], as_index=False)["n"].sum().assign(subclass_code=None)
            elif rule.subclass != "*":
                f = f[f["subclass_code"] == rule.subclass]
            f = f.rename(columns={"n": "value"})
        else:
            b = backlog[backlog["level"] == rule.level]
            if rule.subclass not in ("*", "all"):
                b = b[b["subclass_code"] == rule.subclass]
            by = ["area_code"] if rule.subclass == "all" else ["area_code", "subclass_code"]
            f = b.groupby(by, as_index=False)[rule.metric].sum().rename(columns={rule.metric: "value"})
            f = f.assign(area=codes.reindex(f["area_code"]).to_numpy(), day=T - 1)
            if "subclass_code" not in f:
                f["subclass_code"] = None
        f = f[f["value"] >= rule.threshold].dropna(subset=["area"])
        out.append(pd.DataFrame({"subclass_code": f["subclass_code"], "area": f["area"].astype(int),
                                 "day": f["day"].astype(int), "observed": f["value"].astype(int),
                                 "rule": rule.name, "rule_value": f["value"].astype(float),
                                 "threshold": rule.threshold}))
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["subclass_code", "area", "day", "observed", "rule", "rule_value", "threshold"])
    # a rule met is shown like an alarm at the threshold; more above it, higher
    frame["score"] = -np.log10(s.nb_alpha) * frame["rule_value"].astype(float) / frame["threshold"].astype(float)
    return frame


def drop_repeats(found: pd.DataFrame, repeats: np.ndarray) -> pd.DataFrame:
    """Without the model alerts on areas that have the same grids as a finer area (a city of one
    district, a community of one grid): the same series alarms there. A rule is set for its
    level, so its alerts stay."""
    repeat = repeats[found["area"].astype(int).to_numpy()] & found["rule"].isna().to_numpy()
    return found[~repeat].reset_index(drop=True)


def add_since(alerts: pd.DataFrame) -> pd.DataFrame:
    """The first day of the run of alarm days (gaps of one day allowed) each alert belongs to."""
    a = alerts.sort_values(["subclass_code", "area", "rule", "day"], na_position="first").copy()
    key = a["subclass_code"].fillna("") + "|" + a["area"].astype(str) + "|" + a["rule"].fillna("")
    new_run = (key != key.shift()) | (a["day"].diff() > 2)
    a["since"] = a["day"].where(new_run).ffill().astype(int)
    return a


def budget(alerts: pd.DataFrame, s: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """At most max_alerts_per_day a day, the strongest first. Returns the kept alerts and, per
    day, how many alarmed and how many were kept."""
    ranked = alerts.sort_values(["day", "score"], ascending=[True, False])
    ranked["rank"] = ranked.groupby("day").cumcount() + 1
    kept = ranked[ranked["rank"] <= s.max_alerts_per_day]
    per_day = ranked.groupby("day").agg(alarms=("rank", "size")).reset_index()
    per_day["shown"] = per_day["alarms"].clip(upper=s.max_alerts_per_day)
    return kept.reset_index(drop=True), per_day
