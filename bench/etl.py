"""Benchmark the refresh against its floor: a bare DuckDB load of the same CSV files.

    python bench/etl.py                            # demo, 3 runs
    python bench/etl.py --scales demo city --runs 1

Sources are generated once per scale into data/bench/<scale>/ (seed 42) and reused. Each
measurement is a fresh process (imports included). The refresh runs with --force into a scratch
warehouse, so it does the full work every time. The floor reads each CSV the refresh reads with
`CREATE TABLE … AS SELECT * FROM read_csv(…)` (types auto-detected, nothing checked). Prints
medians (min–max); this machine is shared and noisy, so read the ratio beside the seconds."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import ROOT, measure

sys.path.insert(0, str(ROOT))
from etl import contract  # noqa: E402

FLOOR = ("import duckdb, sys; con = duckdb.connect(); "
         "[con.execute(f\"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}')\") "
         "for i, f in enumerate(sys.argv[1:])]")


def source(scale: str) -> Path:
    out = ROOT / "data" / "bench" / scale
    if not (out / "manifest.json").exists():
        print(f"generating {scale} sources into {out} …", flush=True)
        subprocess.run([sys.executable, "-m", "etl", "generate", "--scale", scale, "--out", str(out),
                        "--seed", "42"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def rows_in(src: Path) -> int:
    total = 0
    for spec in contract.CSV_SOURCES:
        with open(src / spec.file, "rb") as f:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    return total


def _summary(runs: list[dict]) -> tuple[float, str, float]:
    wall = [r["wall"] for r in runs]
    return statistics.median(wall), f"({min(wall):.0f}–{max(wall):.0f})", max(r["peak_mb"] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["demo"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.runs} run(s) per scale; medians (min–max)\n")
    print(f"{'scale':<6} {'rows in':>11} {'floor s':>15} {'refresh s':>15} {'ratio':>6} "
          f"{'floor MB':>9} {'refresh MB':>11} {'rows/s':>9}")
    for scale in args.scales:
        src = source(scale)
        files = [str(src / spec.file) for spec in contract.CSV_SOURCES]
        floor = [measure([sys.executable, "-c", FLOOR, *files]) for _ in range(args.runs)]
        with tempfile.TemporaryDirectory(prefix=f"bench-etl-{scale}-") as wh:
            key = Path(wh) / "bench.key"
            refresh = [measure([sys.executable, "-m", "etl", "refresh", "--source", str(src),
                                "--warehouse", str(Path(wh) / "warehouse"), "--key-file", str(key),
                                "--force"]) for _ in range(args.runs)]
        n = rows_in(src)
        f_med, f_range, f_peak = _summary(floor)
        r_med, r_range, r_peak = _summary(refresh)
        print(f"{scale:<6} {n:>11,} {f_med:>7.1f} {f_range:>7} {r_med:>7.1f} {r_range:>7} "
              f"{r_med / f_med:>6.1f} {f_peak:>9,.0f} {r_peak:>11,.0f} {n / r_med:>9,.0f}")


if __name__ == "__main__":
    main()
