"""Benchmark the demo-data generator: wall time and peak memory per scale.

    python bench/generate.py                      # tiny and demo, 3 runs each
    python bench/generate.py --scales city --runs 1

Each run is a fresh `python -m demo generate` process (imports included, as a user runs it).
Peak memory is the largest resident set of that process or any of its worker processes
(getrusage of the children; shards run in forked workers). Prints medians: this machine is
shared and noisy, so compare runs of the same day, and read the CPU column beside the wall."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.measure import measure  # noqa: E402


def one_run(scale: str, seed: int, workers: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{scale}-") as out:
        cmd = [sys.executable, "-m", "demo", "generate", "--scale", scale, "--out", out, "--seed", str(seed)]
        if workers:
            cmd += ["--workers", str(workers)]
        row = measure(cmd)
        manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
        row["events"] = manifest["rows"]["events.csv"]
        row["persons"] = manifest["rows"]["persons.csv"]
        row["mb"] = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file()) / 2**20
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["tiny", "demo"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.runs} run(s) per scale; medians (min–max)\n")
    print(f"{'scale':<6} {'wall s':>18} {'cpu s':>8} {'peak MB':>8} {'persons':>10} {'events':>11} "
          f"{'events/s':>9} {'files MB':>9}")
    for scale in args.scales:
        rows = [one_run(scale, args.seed, args.workers) for _ in range(args.runs)]
        wall = [r["wall"] for r in rows]
        med = statistics.median(wall)
        print(f"{scale:<6} {med:>8.1f} ({min(wall):.0f}–{max(wall):.0f}) "
              f"{statistics.median(r['cpu'] for r in rows):>8.0f} "
              f"{max(r['peak_mb'] for r in rows):>8.0f} {rows[0]['persons']:>10,} {rows[0]['events']:>11,} "
              f"{rows[0]['events'] / med:>9,.0f} {rows[0]['mb']:>9,.0f}")


if __name__ == "__main__":
    main()
