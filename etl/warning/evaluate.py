"""`python -m etl evaluate-warnings --replay`: the screen judged as a duty officer sees it.

Protocol (docs/design.md, "Evaluation").
- The replay runs the warning step as each daily refresh would have, every day from the first
  with a whole window of baseline (8 weeks of warm-up plus the longest window) to the last: the
  same code (`screen.run`) over the whole span, which is causal — a day's screen reads the
  reports up to that day, baselines are refitted every 4 weeks on the weeks before — with the
  real screen budget, every level and tier, drops and rules.
- An item on the screen belongs to a truth incident when one of the alarms that put it there in
  the last hold_days days does (truth.py: same direction, a shared grid and subclass, within the
  incident's days or the week after, and the incident makes up half of the alarm's excess).
- Per truth incident: the first day one of its items is on the screen; found within 3, 7 and 10
  days of its start (delays 0–2, 0–6, 0–9).
- Comparators at the same number of items shown a day: EARS C2 and C3 on every series the
  product tests (every row × subclass, class and all reports), each alarm one item, the day's
  strongest first up to the same cap; their threshold is set so that they show as many items a
  day on average as the product's excess list does. Paired on the same incidents (exact sign
  test on the incidents one finds within 3 days and the other does not).
- The ceiling: a test that knows each incident's grids, subclasses and first day, on its reports
  since then, held to the false-alarm rate per series and day that the product's false items
  a day amount to.
- `--trials N` plants N incidents of shapes the generator does not make (simulate.py) into the
  warehouse's own counts, refits the baselines on them and replays again."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from etl.exitcodes import ExitCode
from etl.warning import backlog, baseline, detect, detectors, screen, simulate, truth as truthmod
from etl.warning.build import QUALITY_FILE
from etl.warning.prepare import LEVELS, Prepared, prepare
from etl.warning.settings import Settings, load
from etl.warning.truth import TruthError
from warehouse import generations

METHODS = {"product": "本产品（预警研判屏幕）", "c2": "EARS C2（同等每日条数）",
           "c3": "EARS C3（同等每日条数）", "ceiling": "上限：已知位置、类别与起始日"}
WITHIN = (3, 7, 10)
SLOW_RAMP_DAYS = 21
BANDS = ((0, 3, "<3 SD"), (3, 5, "3–5 SD"), (5, np.inf, "≥5 SD"))


def first_replay_day(s: Settings) -> int:
    return baseline.WARMUP + s.lead_days


class EarsItems:
    """A detect.detect hook: EARS C2 and C3 on every excess series, the day's `cap` strongest
    alarms of each (enough for any threshold that shows at most `cap` items a day)."""

    def __init__(self, p: Prepared, cap: int, first: int, seed: int = 3):
        self.ok = ~p.rows.skip
        self.cap, self.first = cap, first
        self.rng = np.random.default_rng(seed)
        self.parts = {"c2": [], "c3": []}

    def __call__(self, i, tier, a, days):
        if tier.kind == "patrol":
            return
        rows = np.flatnonzero(self.ok)
        y = a.y[rows]
        out = detectors.ears(y)
        keep = days >= self.first
        for name, window in (("c2", 1), ("c3", 3)):
            # ties (EARS's scores are discrete) broken at random, so a threshold can meet a rate
            score = np.nan_to_num(out[name], nan=-np.inf) + self.rng.uniform(0, 1e-6, y.shape)
            score = score[:, keep]
            k = min(self.cap, len(rows))
            top = np.argpartition(-score, k - 1, axis=0)[:k]              # (k × days)
            cols = np.broadcast_to(np.arange(score.shape[1]), top.shape)
            sc = score[top, cols]
            good = np.isfinite(sc) & (sc > 0)
            r, c = top[good], cols[good]
            t = np.flatnonzero(keep)[c]
            observed = detectors.window_sums(y, window)[r, t]
            expected = out["mean_c2"][r, t] * window
            self.parts[name].append(pd.DataFrame({
                "kind": "excess", "tier": np.int32(i), "row": rows[r].astype(np.int32),
                "day": days[t].astype(np.int32), "window": np.int16(window), "observed": observed,
                "expected": expected, "score": sc[good], "rule": None}))

    def items(self, name: str, per_day_target: float, n_days: int) -> pd.DataFrame:
        """The alarms shown at the threshold that shows `per_day_target` items a day on average
        (each day's strongest first, at most `cap`)."""
        frame = pd.concat(self.parts[name], ignore_index=True)
        frame = frame.sort_values(["day", "score"], ascending=[True, False], kind="stable")
        frame = frame.groupby("day", sort=False).head(self.cap).reset_index(drop=True)
        scores = np.sort(frame["score"].to_numpy())[::-1]
        n = int(round(per_day_target * n_days))
        threshold = scores[min(n, len(scores) - 1)] if n < len(scores) else -np.inf
        return frame[frame["score"] > threshold].reset_index(drop=True)


@dataclass
class Replay:
    name: str
    p: Prepared                      # the data it ran on (a trial's: with its planted reports)
    truth: pd.DataFrame              # located truth incidents with their measured effect
    screen: screen.Screen
    items: dict                      # method → on-screen items (day, tags, level, kind)
    first: int
    last: int
    seconds: float


def _describe(p: Prepared, t: pd.DataFrame, effects: list) -> pd.DataFrame:
    """Measured on the data: baseline per day, size in SD, excess in the first three days, the
    ratio observed / expected over the incident, grid-days expected per day."""
    rows = []
    for r, e in zip(t.itertuples(), effects):
        y, mu, var = truthmod.totals(e)
        at = r.t0 - e.lo
        before = slice(max(0, at - 56), at)
        during = slice(at, r.t1 - e.lo + 1)
        base_y = y[before]
        sd = max(float(np.std(base_y, ddof=1)) if len(base_y) > 1 else 0.0, np.sqrt(max(base_y.mean(), 0)) if len(base_y) else 0, 0.3)
        eff = y[during] - np.nan_to_num(mu[during])
        peak = float(np.max(np.abs(eff))) if len(eff) else 0.0
        expected = float(np.nansum(mu[during]))
        rows.append({"baseline_per_day": float(np.nanmean(mu[before])) if at > 0 else np.nan,
                     "per_grid_per_day": float(np.nanmean(mu[during])) / max(len(r.grids), 1),
                     "measured_sd": peak / sd,
                     "excess_first3": float(np.sum(eff[:3])),
                     "ratio": float(y[during].sum() / expected) if expected > 0 else np.nan,
                     "days": r.t1 - r.t0 + 1})
    out = pd.concat([t.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    out["size"] = out["size_sd"].fillna(out["measured_sd"])
    if "extra_first3" in out:
        out["excess_first3"] = out["extra_first3"].fillna(out["excess_first3"])
    out["slow_ramp"] = out["type"].str.lower().str.contains("ramp") & (out["days"] >= SLOW_RAMP_DAYS)
    return out


def replay(p: Prepared, s: Settings, truth: pd.DataFrame, name: str, backlog_of=None) -> Replay:
    t0 = time.perf_counter()
    located = truthmod.locate(p, truth)
    effects = truthmod.effects(p, located)
    first, last = first_replay_day(s), p.n_days - 1
    ears = EarsItems(p, s.max_items, first)
    sc = screen.run(p, s, first, last, backlog_of, hook=ears, tag=truthmod.tagger(p, effects))
    seconds = time.perf_counter() - t0
    level_of = _incident_levels(p, sc)
    shown = sc.shown[sc.shown["on_screen"]].copy()
    shown["level"] = shown["incident_id"].map(level_of)
    items = {"product": shown}
    target = float((shown["kind"] != detect.DROP).sum()) / (last - first + 1)
    tag = truthmod.tagger(p, effects)
    for m in ("c2", "c3"):
        it = ears.items(m, target, last - first + 1)
        items[m] = it.assign(tags=tag(it), level=p.rows.levels[it["row"].to_numpy()], kind="excess",
                             incident_id=np.arange(len(it)).astype(str))
    described = _describe(p, located, effects)
    described.attrs["skipped"] = located.attrs.get("skipped", {})
    return Replay(name, p, described, sc, items, first, last, seconds)


def _incident_levels(p: Prepared, sc: screen.Screen) -> dict:
    """Each incident's finest level (where it alarmed first, when several)."""
    a = sc.alarms
    rank = np.array([LEVELS.index(lv) for lv in p.rows.levels])[a["row"].to_numpy()]
    best = pd.Series(rank).groupby(a["incident_id"].to_numpy()).min()
    return {k: LEVELS[v] for k, v in best.items()}


def delays(items: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Per truth incident, days from its start to its first item on the screen (NaN: never)."""
    out = pd.Series(np.nan, index=truth["incident_id"])
    if items.empty:
        return out
    exploded = items[["day", "tags"]].explode("tags").dropna(subset=["tags"])
    first = exploded.groupby("tags")["day"].min()
    start = truth.set_index("incident_id")["t0"]
    for k in truth["incident_id"]:
        if k in first.index:
            later = exploded[(exploded["tags"] == k) & (exploded["day"] >= start[k])]["day"]
            out[k] = float(later.min() - start[k]) if len(later) else np.nan
    return out


def ceiling(p: Prepared, truth: pd.DataFrame, effects: list, alpha: float, days: int = 10) -> pd.Series:
    """Days from start until a test knowing the incident's grids, subclasses and start finds it
    at `alpha` (NaN: not within `days`)."""
    out = pd.Series(np.nan, index=truth["incident_id"])
    for r, e in zip(truth.itertuples(), effects):
        y, mu, var = truthmod.totals(e)
        at = r.t0 - e.lo
        cy, cm, cv = (np.cumsum(x[at:at + days]) for x in (y, np.nan_to_num(mu), var))
        if not len(cm) or np.isnan(mu[at]):
            continue
        phi = detectors.sum_dispersion(cm, cv)
        p_val = detectors.nb_lower(cy, cm, phi) if r.direction == "drop" else \
            detectors.nb_tail(np.maximum(cy, 0), np.maximum(cm, 1e-9), phi)
        hit = np.flatnonzero((p_val <= alpha) & ((cy > cm) if r.direction != "drop" else (cy < cm)))
        if len(hit):
            out[r.incident_id] = float(hit[0])
    return out


def operating(r: Replay) -> pd.DataFrame:
    """Per method: items shown a day, false ones (no truth incident), precision, days at the cap."""
    n_days = r.last - r.first + 1
    rows = []
    for m, items in r.items.items():
        per_day = items.groupby("day").size().reindex(range(r.first, r.last + 1), fill_value=0)
        false = items[items["tags"].map(len) == 0].groupby("day").size().reindex(per_day.index, fill_value=0)
        levels = items["level"].value_counts(normalize=True)
        row = {"replay": r.name, "method": m, "方法": METHODS[m], "days": n_days,
               "items_per_day_mean": per_day.mean(), "items_per_day_median": per_day.median(),
               "items_per_day_p95": per_day.quantile(0.95), "false_items_per_day": false.mean(),
               "precision_items": 1 - false.sum() / max(per_day.sum(), 1),
               "drop_items_per_day": float((items["kind"] == detect.DROP).sum()) / n_days,
               **{f"false_{k}_per_day": float(((items["kind"] == k) & (items["tags"].map(len) == 0)).sum()) / n_days
                  for k in (detect.EXCESS, detect.DROP, detect.RULE)}}
        # one incident, one row: how many rows a truth incident took on a day it was on the screen
        per_truth = items[["day", "tags"]].explode("tags").dropna().groupby(["day", "tags"]).size()
        row["rows_per_incident_day_max"] = int(per_truth.max()) if len(per_truth) else 0
        row["share_incident_days_split"] = float((per_truth > 1).mean()) if len(per_truth) else 0.0
        if m == "product":
            inc = items.groupby("incident_id")["tags"].agg(lambda t: any(len(x) for x in t))
            row["precision_incidents"] = float(inc.mean()) if len(inc) else np.nan
            row["days_at_cap"] = float(r.screen.per_day["capped"].mean())
            row["new_per_day"] = float(items["new"].sum()) / n_days
        row.update({f"share_{lv}": float(levels.get(lv, 0.0)) for lv in LEVELS if lv != "city"})
        rows.append(row)
    return pd.DataFrame(rows)


def per_incident(r: Replay) -> pd.DataFrame:
    """Per truth incident: its measured description and each method's delay to the screen. The
    ceiling is held to the false-alarm rate per series and day that the product's false items
    of the same direction amount to (at least 0.1 a day)."""
    p, t = r.p, r.truth.copy()
    for m, items in r.items.items():
        t[f"delay_{m}"] = delays(items, t).to_numpy()
    shown = r.items["product"]
    n_days = r.last - r.first + 1
    false = shown[shown["tags"].map(len) == 0]
    t["delay_ceiling"] = np.nan
    for direction, kinds, n_series in (("excess", ("excess", "rule"), r.screen.n_series),
                                       ("drop", ("drop",), r.screen.n_drop_series)):
        mine = (t["direction"] == direction).to_numpy()
        if mine.any():
            rate = max(float(false["kind"].isin(kinds).sum()) / n_days, 0.1)
            at = t[mine]
            t.loc[mine, "delay_ceiling"] = ceiling(p, at, truthmod.effects(p, at), rate / max(n_series, 1)).to_numpy()
    t["replay"] = r.name
    return t


def _band(size: float) -> str:
    for lo, hi, label in BANDS:
        if lo <= size < hi:
            return label
    return "—"


def detection(incidents: pd.DataFrame) -> pd.DataFrame:
    """POD within 3, 7, 10 days and the median delay, per method × shape × size band, and for all."""
    rows = []
    inc = incidents.assign(band=incidents["size"].map(_band),
                           shape=np.where(incidents["direction"] == "drop", "drop:" + incidents["type"], incidents["type"]))
    groups = [("全部", "全部", inc)] + [(shape, "全部", g) for shape, g in inc.groupby("shape")] \
        + [(shape, band, g) for (shape, band), g in inc.groupby(["shape", "band"])]
    for m in METHODS:
        col = f"delay_{m}"
        for shape, band, g in groups:
            if col not in g:
                continue
            d = g[col]
            rows.append({"method": m, "方法": METHODS[m], "shape": shape, "band": band, "incidents": len(g),
                         **{f"pod_{w}": float((d <= w - 1).mean()) for w in WITHIN},
                         "median_delay": float(d.median()) if d.notna().any() else np.nan})
    return pd.DataFrame(rows)


def targets(incidents: pd.DataFrame) -> pd.DataFrame:
    """The issue's classes: their POD on the screen against the target."""
    inc = incidents
    ex = inc["direction"] == "excess"
    drop_class = (inc["direction"] == "drop") & (inc["days"] >= 14) & (inc["per_grid_per_day"] >= 1) \
        & (inc["ratio"] <= 0.2)
    classes = [
        ("≥10 件超额（前三天）的暴发，3 日内", ex & (inc["excess_first3"] >= 10), 3, 0.90),
        ("≥5 SD 的暴发（慢爬升除外），3 日内", ex & (inc["size"] >= 5) & ~inc["slow_ramp"], 3, 0.70),
        ("慢爬升，10 日内", ex & inc["slow_ramp"], 10, 0.80),
        ("骤减（日均≥1 件的网格降≥80%、≥2 周），7 日内", drop_class, 7, 0.80),
    ]
    rows = []
    for label, mask, within, goal in classes:
        g = inc[mask]
        row = {"class": label, "incidents": len(g), "target": goal}
        for m in METHODS:
            col = f"delay_{m}"
            row[f"pod_{m}"] = float((g[col] <= within - 1).mean()) if len(g) and col in g else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def paired(incidents: pd.DataFrame, other: str, within: int = 3) -> dict:
    """Exact sign test on the excess incidents found within `within` days by one method only."""
    inc = incidents[incidents["direction"] == "excess"]
    a = inc["delay_product"] <= within - 1
    b = inc[f"delay_{other}"] <= within - 1
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    p = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
    return {"versus": other, "incidents": len(inc), "product": int(a.sum()), "other": int(b.sum()),
            "product_only": only_a, "other_only": only_b, "p_value": float(p)}


@dataclass
class Report:
    operating: pd.DataFrame
    detection: pd.DataFrame
    targets: pd.DataFrame
    paired: pd.DataFrame
    incidents: pd.DataFrame
    seconds: pd.DataFrame
    skipped: dict
    generation: str


def _open(warehouse: Path, s: Settings):
    served = generations.current(warehouse)
    if served is None:
        raise TruthError(f"{warehouse} 还没有发布的版本: 先运行 python -m etl refresh (no served generation)")
    con = duckdb.connect()
    con.execute(f"ATTACH '{str(served.path).replace(chr(39), chr(39) * 2)}' AS wh (READ_ONLY)")
    return served, con


def evaluate(warehouse: Path, truth_path: Path, trials: int = 0, seed: int = 5,
             settings: Settings | None = None, batch: int = simulate.BATCH, trials_out: Path | None = None) -> Report:
    s = settings or load()
    served, con = _open(warehouse, s)
    try:
        t0 = time.perf_counter()
        p = prepare(con, s)
        prepared = time.perf_counter() - t0
        first = first_replay_day(s)
        histories = {rule: backlog.history(con, p.cal, rule, first) for rule in s.rules if rule.metric != "reported"}
    finally:
        con.close()
    truth = truthmod.read(truth_path)
    runs = [replay(p, s, truth, "真值文件", histories.get)]
    planted_all = []
    rng = np.random.default_rng(seed)
    done = 0
    while done < trials:
        n = min(batch, trials - done)
        trial_p, planted = simulate.plant(p, s, truthmod.locate(p, truth), n, rng, prefix=f"{simulate.PREFIX}{done // batch + 1}-")
        planted_all.append(planted)
        # the data's own incidents are still in it: their items are not false
        both = pd.concat([truth, planted], ignore_index=True)
        runs.append(replay(trial_p, s, both, f"注入试验 {done // batch + 1}", histories.get))
        done += n
    if trials_out is not None and planted_all:
        truthmod.to_csv(pd.concat(planted_all, ignore_index=True), trials_out)
    # the truth file's incidents from the plain replay, the planted ones from their trials
    incidents = pd.concat([per_incident(runs[0])]
                          + [(lambda t: t[t["incident_id"].str.startswith(simulate.PREFIX)])(per_incident(r)) for r in runs[1:]],
                          ignore_index=True)
    op = pd.concat([operating(r) for r in runs], ignore_index=True)
    kept = incidents
    pairs = pd.DataFrame([paired(kept, m) for m in ("c2", "c3")])
    seconds = pd.DataFrame([{"replay": r.name, "seconds": r.seconds, "prepare_seconds": prepared if i == 0 else np.nan}
                            for i, r in enumerate(runs)])
    return Report(op, detection(kept), targets(kept), pairs, kept, seconds,
                  runs[0].truth.attrs.get("skipped", {}), served.id)


def _print(report: Report, out=sys.stdout) -> None:
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.max_rows", 200,
                           "display.float_format", lambda v: f"{v:.3g}"):
        print("屏幕（每日显示条数、误报条数、精确率）:", file=out)
        print(report.operating.to_string(index=False), file=out)
        print("\n目标:", file=out)
        print(report.targets.to_string(index=False), file=out)
        print("\n配对检验（3 日内检出，同一批暴发）:", file=out)
        print(report.paired.to_string(index=False), file=out)
        print("\n按形状与规模:", file=out)
        print(report.detection.to_string(index=False), file=out)
        print("\n用时:", file=out)
        print(report.seconds.to_string(index=False), file=out)
        if report.skipped:
            print(f"\n未评估的真值事件: {report.skipped}", file=out)


def evaluate_command(source: Path, warehouse: Path, truth: Path | None, save: bool, trials: int = 0,
                     seed: int = 5, out: Path | None = None) -> int:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    try:
        report = evaluate(warehouse, truth or Path(source) / "incidents_truth.csv", trials, seed,
                          trials_out=(out / "trials_truth.csv") if out else None)
    except TruthError as exc:
        print(exc, file=sys.stderr)
        return ExitCode.SOURCE_ERROR
    _print(report)
    if out is not None:
        for name in ("operating", "detection", "targets", "paired", "incidents", "seconds"):
            getattr(report, name).to_csv(out / f"{name}.csv", index=False)
        print(f"已写入 {out}")
    if save:
        quality(report).to_csv(Path(warehouse) / QUALITY_FILE, index=False)
        print(f"已保存 {Path(warehouse) / QUALITY_FILE}; 下次刷新后驾驶舱显示 (shown after the next refresh)")
    return ExitCode.DONE


def quality(report: Report) -> pd.DataFrame:
    """The table the 方法质量 panel shows: per method, the screen's operating point and the POD
    of each target class."""
    op = report.operating.groupby("method", sort=False).agg(
        items_per_day=("items_per_day_mean", "mean"), false_items_per_day=("false_items_per_day", "mean"),
        precision=("precision_items", "mean")).reset_index()
    rows = []
    for _, o in op.iterrows():
        for _, t in report.targets.iterrows():
            rows.append({"method": o["method"], "方法": METHODS[o["method"]], "class": t["class"],
                         "incidents": t["incidents"], "pod": t[f"pod_{o['method']}"], "target": t["target"],
                         "items_per_day": o["items_per_day"], "false_items_per_day": o["false_items_per_day"],
                         "precision": o["precision"], "generation": report.generation})
    return pd.DataFrame(rows)
