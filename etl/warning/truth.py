"""Truth files: incidents someone planted in a dataset, read whoever wrote them (the generator, the
replay's own trials, or a file this project never saw), and which alarm belongs to which.

The format (docs/data-contract.md, generated from TRUTH_DOC below): one row per incident,
`incident_id`, `type`, `start_date`, `end_date`, `grid_codes` required; `direction` (excess or
drop, default excess), `subclass_code` (one code or several separated by `;`; empty: all
subclasses, or those of `class_code`), `source` (a drop of one source only, e.g. 网格员巡查),
`size_sd` and the generator's descriptive columns optional. Lists may be separated by `;`, `,`,
`|` or spaces.

An alarm belongs to a truth incident when it points the same way, falls within the incident's
days or the week after, shares a grid and a subclass with it, and the incident's own effect on
the alarm's series (its reports minus the baseline in the grids, subclasses and days they share)
makes up at least half of the alarm's (observed − expected): a district alarm a one-grid
outbreak barely moves does not become the outbreak's. The effect is measured on the data, so a
truth file needs no counts of its own."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from etl.warning.prepare import ALL, PATROL, Prepared

AFTER_DAYS = 7           # alarms in the week after an incident's last day are still its own
EXPLAINED = 0.5
REQUIRED = ("incident_id", "type", "start_date", "end_date", "grid_codes")
DIRECTIONS = {"excess": "excess", "drop": "drop", "up": "excess", "down": "drop",
              "增": "excess", "升": "excess", "减": "drop", "降": "drop"}

TRUTH_DOC = """\
## Not read by the ETL: `incidents_truth.csv`

The generator injects incidents into the event stream and writes their ground truth beside the
sources, for measuring early warning (`python -m etl evaluate-warnings`, which replays the daily
screen over the history and reports which incidents reached it, when, and what else it showed).
Any dataset that follows this contract can be evaluated with a truth file of this form (UTF-8
CSV, one row per incident, columns in any order; lists separated by `;`, `,`, `|` or spaces):

| column | required | meaning | example |
| --- | --- | --- | --- |
| incident_id | yes | unique id | `INC001` |
| type | yes | the incident's shape, free text; the report groups by it (the generator writes `spike` 1–3 days, `ramp` rising over 7–14 days, `step` a new level for 30–90 days; a `ramp` of 21 days or more counts as a slow ramp) | `spike` |
| start_date, end_date | yes | first and last day of the change, inclusive | `2026-05-23` |
| grid_codes | yes | the 15-digit grid codes affected | `220204002002004;220204002002005` |
| direction | no | `excess` (more reports than usual, the default) or `drop` (fewer: a grid gone quiet) | `drop` |
| subclass_code | no | the subclass or subclasses affected; empty: every subclass (or those of `class_code`) | `0501;0601;0602` |
| class_code | no | the class, when `subclass_code` is empty | `05` |
| source | no | only reports of this source changed (e.g. `网格员巡查`: a grid worker who stopped patrolling) | `网格员巡查` |
| size_sd | no | size in multiples of the baseline standard deviation | `5.0` |
| n_grids, baseline_mean_per_day, baseline_sd_per_day, extra_events, extra_per_day | no | the generator's description (its cluster × subclass daily count in the 8 weeks before, the extra reports in all and per day) | `4;4;4` |

What the evaluation measures on the data itself (not read from the file): each incident's effect
(reports minus the baseline in its grids, subclasses and days), its excess in the first three
days, and which of the screen's items belong to it (an item's alarm shares a grid, a subclass and
a day — or the week after — with it, and the incident makes up at least half of the alarm's
excess).
"""


class TruthError(ValueError):
    """The truth file is missing or does not follow the documented format."""


def _split(value) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [v for v in re.split(r"[;,|\s]+", str(value).strip()) if v]


def read(path: Path) -> pd.DataFrame:
    """The truth file as written, checked: the documented columns, parsed."""
    if not Path(path).exists():
        raise TruthError(f"找不到真值文件 {path} (truth file not found)")
    truth = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    truth.columns = [c.strip() for c in truth.columns]
    missing = [c for c in REQUIRED if c not in truth.columns]
    if missing:
        raise TruthError(f"{path}: 缺少列 {missing} (missing columns)")
    return normalise(truth, str(path))


def normalise(truth: pd.DataFrame, where: str = "truth") -> pd.DataFrame:
    out = pd.DataFrame({"incident_id": truth["incident_id"].astype(str).str.strip(),
                        "type": truth["type"].astype(str).str.strip()})
    for col in ("start_date", "end_date"):
        day = pd.to_datetime(truth[col], errors="coerce")
        if day.isna().any():
            raise TruthError(f"{where}: {col} 须为 YYYY-MM-DD (dates): {truth.loc[day.isna(), col].tolist()[:3]}")
        out[col] = day.to_numpy("datetime64[D]")
    if (out["end_date"] < out["start_date"]).any():
        raise TruthError(f"{where}: end_date 早于 start_date (an incident ends before it starts)")
    out["grid_codes"] = [tuple(_split(v)) for v in truth["grid_codes"]]
    if not all(out["grid_codes"]):
        raise TruthError(f"{where}: grid_codes 为空 (an incident names no grid)")
    direction = truth["direction"].str.strip().str.lower() if "direction" in truth else pd.Series("", index=truth.index)
    out["direction"] = direction.map(lambda d: DIRECTIONS.get(d, "excess" if d == "" else None))
    if out["direction"].isna().any():
        raise TruthError(f"{where}: direction 须为 excess 或 drop")
    column = "subclass_code" if "subclass_code" in truth else "subclass_codes" if "subclass_codes" in truth else None
    out["subclasses"] = [tuple(_split(v)) for v in truth[column]] if column else [()] * len(truth)
    out["class_code"] = truth["class_code"].str.strip() if "class_code" in truth else ""
    out["source"] = truth["source"].str.strip() if "source" in truth else ""
    out["size_sd"] = pd.to_numeric(truth["size_sd"], errors="coerce") if "size_sd" in truth else np.nan
    if "extra_per_day" in truth:
        out["extra_first3"] = [sum(float(x) for x in _split(v)[:3]) if _split(v) else np.nan
                               for v in truth["extra_per_day"]]
    if out["incident_id"].duplicated().any():
        raise TruthError(f"{where}: incident_id 重复 (duplicate ids)")
    return out.reset_index(drop=True)


def to_csv(truth: pd.DataFrame, path: Path) -> None:
    """Write a truth frame in the documented format (the trials' planted incidents)."""
    frame = truth.assign(
        start_date=pd.to_datetime(truth["start_date"]).dt.date, end_date=pd.to_datetime(truth["end_date"]).dt.date,
        grid_codes=truth["grid_codes"].map(";".join), subclass_code=truth["subclasses"].map(";".join))
    cols = ["incident_id", "type", "direction", "start_date", "end_date", "grid_codes", "subclass_code",
            "source", "size_sd"]
    frame[cols].to_csv(path, index=False)


@dataclass
class Effect:
    """One truth incident on the data: its reports minus the baseline per series it touches."""
    id: str
    direction: str
    t0: int
    t1: int
    grids: np.ndarray          # grid rows
    subclasses: tuple          # subclass codes (excess), or () for all reports / PATROL
    patrol: bool               # a drop of the patrol source only
    lo: int                    # first day of the arrays
    y: dict                    # series code → (grids × days) reports
    mu: dict                   # series code → (grids × days) expectation (NaN: none)
    var: dict                  # series code → (grids × days) μ + φμ²

    def contribution(self, codes, grid_mask: np.ndarray, first: int, last: int) -> float:
        """Σ (y − μ) over the given series codes, the grids of `grid_mask` (over all grids) and days."""
        a, b = max(first, self.t0) - self.lo, min(last, self.t1 + AFTER_DAYS) - self.lo + 1
        at = grid_mask[self.grids]
        if b <= a or not at.any():
            return 0.0
        total = 0.0
        for code in codes:
            if code in self.y:
                total += float((self.y[code][at, a:b] - np.nan_to_num(self.mu[code][at, a:b])).sum())
        return total


def locate(p: Prepared, truth: pd.DataFrame) -> pd.DataFrame:
    """Day indices, grid rows and subclass codes on this warehouse; incidents outside its days,
    grids or subclasses are dropped with a reason (`skipped` in attrs)."""
    grid_row = {c: i for i, c in enumerate(p.areas.codes[:p.areas.n_grids])}
    day0 = p.cal.days[0]
    t = truth.copy()
    t["t0"] = (t["start_date"].to_numpy("datetime64[D]") - day0).astype(int)
    t["t1"] = (t["end_date"].to_numpy("datetime64[D]") - day0).astype(int)
    t["grids"] = [np.array(sorted(grid_row[g] for g in codes if g in grid_row), int) for codes in t["grid_codes"]]
    known = set(p.cells)
    classes = p.categories["class_code"]

    def subs(row):
        if row["direction"] == "drop" and not row["subclasses"]:
            return ()
        if row["subclasses"]:
            return tuple(c for c in row["subclasses"] if c in known)
        if row["class_code"]:
            return tuple(c for c in known if classes.get(c) == row["class_code"])
        return tuple(sorted(known))
    t["subclasses"] = t.apply(subs, axis=1)
    t["patrol"] = (t["direction"] == "drop") & (t["source"] != "")
    reason = np.where(t["t1"] < 0, "早于数据", np.where(t["t0"] >= p.n_days, "晚于数据",
                      np.where(t["grids"].map(len) == 0, "网格不在数据中",
                               np.where((t["direction"] == "excess") & (t["subclasses"].map(len) == 0),
                                        "小类不在数据中", ""))))
    kept = t[reason == ""].reset_index(drop=True)
    kept.attrs["skipped"] = dict(zip(t.loc[reason != "", "incident_id"], reason[reason != ""]))
    return kept


def effects(p: Prepared, truth: pd.DataFrame, before: int = 56) -> list[Effect]:
    """Each located incident's reports and baseline from `before` days before it to a week after."""
    out = []
    for r in truth.itertuples():
        lo, hi = max(0, r.t0 - before), min(p.n_days, r.t1 + AFTER_DAYS + 1)
        days = np.arange(lo, hi)
        area = np.repeat(r.grids, len(days))
        day = np.tile(days, len(r.grids))
        y, mu, var = {}, {}, {}
        series = [(PATROL, p.patrol, p.patrol_model)] if r.patrol else \
            [(c, p.cells[c], p.models[c]) for c in (r.subclasses or sorted(p.cells))]
        for code, cells, model in series:
            y[code] = cells.rows(r.grids, lo, hi)
            m, phi = model.at(area, day)
            mu[code] = m.reshape(len(r.grids), len(days))
            var[code] = np.nan_to_num(m + phi * m ** 2).reshape(len(r.grids), len(days))
        if r.direction == "drop" and not r.patrol:          # all reports, as one series
            y, var = {ALL: sum(y.values())}, {ALL: sum(var.values())}
            mu = {ALL: np.where(np.isnan(mu[next(iter(mu))]), np.nan, sum(np.nan_to_num(m) for m in mu.values()))}
        out.append(Effect(r.incident_id, r.direction, int(r.t0), int(r.t1), r.grids, r.subclasses,
                          bool(r.patrol), lo, y, mu, var))
    return out


def series_codes(effect: Effect, tier) -> list[str]:
    """The codes of an effect's series that a tier's alarm sees ([] if it sees none of them)."""
    if effect.direction == "drop":
        if tier.kind in ("all", "patrol"):
            return list(effect.y)       # a patrol alarm on an all-reports drop: the drop is in it
        return []
    return [c for c in tier.members if c in effect.y]


def tagger(p: Prepared, truth_effects: list[Effect]):
    """`tag(alarms)` for screen.run: per alarm the ids of the truth incidents it belongs to."""
    rows = p.rows

    def tag(alarms: pd.DataFrame) -> list[frozenset]:
        out = [frozenset()] * len(alarms)
        if alarms.empty:
            return out
        day = alarms["day"].to_numpy()
        kinds = alarms["kind"].to_numpy()
        for e in truth_effects:
            kind = "drop" if e.direction == "drop" else "excess"
            near = np.flatnonzero(((kinds == kind) | ((kind == "excess") & (kinds == "rule")))
                                  & (day >= e.t0) & (day <= e.t1 + AFTER_DAYS))
            grid_mask = np.zeros(p.areas.n_grids, bool)
            grid_mask[e.grids] = True
            for i in near:
                a = alarms.iloc[i]
                fp = rows.footprint(int(a["row"]))
                if not grid_mask[fp].any():
                    continue
                codes = series_codes(e, p.tiers[int(a["tier"])])
                if not codes:
                    continue
                mask = np.zeros(p.areas.n_grids, bool)
                mask[fp] = True
                share = e.contribution(codes, mask, int(a["day"]) - int(a["window"]) + 1, int(a["day"]))
                own = float(a["observed"] - np.nan_to_num(a["expected"]))
                if (own > 0 and share >= EXPLAINED * own) or (own < 0 and share <= EXPLAINED * own):
                    out[i] = out[i] | {e.id}
        return out
    return tag


def totals(e: Effect) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The incident's series summed over its grids and subclasses, per day from e.lo: reports,
    expectation (NaN where none), variance."""
    y = sum(v.sum(axis=0) for v in e.y.values())
    mus = list(e.mu.values())
    mu = sum(np.nan_to_num(m).sum(axis=0) for m in mus)
    mu = np.where(np.isnan(mus[0]).all(axis=0), np.nan, mu)
    return y.astype(float), mu, sum(v.sum(axis=0) for v in e.var.values())
