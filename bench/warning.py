"""Benchmark early warning: the step every refresh runs, and the replay that judges it.

    python bench/warning.py                              # demo: daily step and replay, 3 runs
    python bench/warning.py --scales demo city --runs 1 --no-replay city

Uses the warehouse of data/bench/<scale>-warehouse, built on first use (bench/cockpit.py's
`warehouse`). The daily step is timed as a refresh runs it, in a fresh process (imports included):
on an overlay of the served generation (its small tables in memory, its stored tables read in
place from their partitions), baselines for every area × subclass, the recent window's detection,
incidents and screen, the tables written out as the next generation (its unchanged partitions hard
links). "afresh": on the served generation with nothing kept (as after a change of settings or
code, or a late report for a day long past): every day detected. "daily": on the generation
"afresh" wrote, with what it keeps (every day of detection but its last, and the reviews of
incidents that read no later day, as a day's run finds them: etl/warning/detections.py,
reviews.py). The replay is `python -m etl evaluate-warnings --replay` on the truth file without
trials: the same step on every day of the history, with the EARS comparators and the truth's
attribution. Targets (issue 18): daily step at city scale ≤ 2 min, replay of three years at demo
scale ≤ 10 min. Prints medians (min–max) and peak memory; the machine is shared and noisy."""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.cockpit import warehouse as bench_warehouse  # noqa: E402
from bench.measure import ROOT, measure  # noqa: E402
from warehouse import generations  # noqa: E402
from warehouse.generations import FILE  # noqa: E402

# the step as a refresh runs it (etl/refresh.py's _publish_warnings): on an overlay of the served
# generation, written out as the next generation (into a scratch folder beside the warehouse, so
# its unchanged partitions are hard links). With what the generation keeps (every day of detection
# but the last, the reviews of incidents that ended before it), and afresh: those dropped, as a run
# after a change of settings or code finds them
STEP = ("import sys; from pathlib import Path; from etl import storage; from etl.run import connect; "
        "from etl.transform import models; from etl.warning import build; "
        "out = Path(sys.argv[2]); con = connect('2GB', out / 'spill'); "
        "storage.open_served(con, Path(sys.argv[1]), models.create_views); "
        "[(storage.forget(con, f'warning.{t}'), con.execute(f'DROP TABLE IF EXISTS wh.warning.{t}')) "
        "for t in sys.argv[3:]]; build.write(con, None); storage.write(con, out / 'generation', models.create_views)")
KEPT = ("detections", "detection_days", "incident_reviews")
SIZE = ("import duckdb, sys, json; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(json.dumps(con.execute(\"SELECT (SELECT count(DISTINCT code) FROM core.areas) + 1, "
        "(SELECT count(*) FROM core.event_categories), (SELECT count(DISTINCT day) FROM mart.events_daily), "
        "(SELECT count(*) FROM warning.alerts), (SELECT count(*) FROM warning.incidents), "
        "(SELECT count(*) FROM warning.incidents WHERE on_screen)\").fetchone()))")


def _summary(runs: list[dict]) -> str:
    wall = [r["wall"] for r in runs]
    return f"{statistics.median(wall):7.1f} s ({min(wall):.0f}–{max(wall):.0f})  {max(r['peak_mb'] for r in runs):6.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["demo"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-replay", nargs="*", default=[], help="scales whose replay is skipped")
    args = parser.parse_args()
    print(f"{'scale':<6} {'areas×subclasses×days':>24}  {'step':<8} {'median (min–max)':>22}  peak")
    for scale in args.scales:
        served = generations.current(bench_warehouse(scale))
        step, afresh = [], []
        for _ in range(args.runs):
            # afresh on the served generation, then daily on what that wrote: what it keeps is then
            # this code's (a bench warehouse may be older than it)
            with tempfile.TemporaryDirectory(dir=ROOT / "data" / "bench") as tmp:   # beside, not in, the warehouse
                first, then = Path(tmp) / "afresh", Path(tmp) / "daily"
                for out in (first, then):
                    (out / "generation").mkdir(parents=True)
                afresh.append(measure([sys.executable, "-c", STEP, str(served.path), str(first), *KEPT]))
                step.append(measure([sys.executable, "-c", STEP, str(first / "generation" / FILE), str(then)]))
        areas, subs, days, alerts, incidents, shown = json.loads(subprocess.run(
            [sys.executable, "-c", SIZE, str(served.path)], cwd=ROOT, capture_output=True, text=True,
            check=True).stdout)
        size = f"{areas}×{subs}×{days} = {areas * subs * days / 1e6:.1f} M"
        print(f"{scale:<6} {size:>24}  {'daily':<8} {_summary(step)}   "
              f"({alerts} alerts, {incidents} incidents, {shown} on today's screen; detection of every "
              f"day but the last kept, and the reviews that read no later day)", flush=True)
        print(f"{scale:<6} {'':>24}  {'afresh':<8} {_summary(afresh)}   (nothing kept: every day detected)",
              flush=True)
        if scale in args.no_replay:
            continue
        replay = [measure([sys.executable, "-m", "etl", "evaluate-warnings", "--replay", "--source",
                           str(ROOT / "data" / "bench" / scale), "--warehouse", str(bench_warehouse(scale))])
                  for _ in range(args.runs)]
        print(f"{scale:<6} {'':>24}  {'replay':<8} {_summary(replay)}", flush=True)


if __name__ == "__main__":
    main()
