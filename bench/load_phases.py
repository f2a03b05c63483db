"""Benchmark two phases of a full refresh at city scale: the point-in-grid check of the events
(etl/load/points.check_points; `geometry`: its batches' test alone, this checkout only) and the
sealing of the persons into the vault (etl/privacy/vault.seal), with 1 and 2 workers (ETL_WORKERS).

    python bench/load_phases.py --source data/bench/city --warehouse data/bench/city-warehouse
    python bench/load_phases.py ... --before /path/to/an/older/checkout      # before/after

The inputs are prepared once into a scratch DuckDB file: the events' grid codes, points and
report times as text (as the load reads them) and the grid versions, from the served generation
of `--warehouse` (a city refresh: bench/etl.py); the persons' clear id, name, ID number and phone
from `--source`'s persons.csv. Each measurement is a fresh process (a checkout's code, imported
from `--before` or this one) that copies its input into memory untimed, then times the phase
alone: wall and CPU seconds. The configurations take turns, run by run. Prints medians (min–max)
over --runs, with the load average (1 min) before each run: this machine is shared, and another
process's load moves the wall time."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# one measurement, run in a fresh process with the checkout to measure first on sys.path
PHASE = r"""
import json, os, sys, time
import duckdb
phase, prepared, scratch = sys.argv[1:4]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute(f"ATTACH '{prepared}' AS src (READ_ONLY)")
con.execute(f"ATTACH '{scratch}' AS wh")
con.execute("CREATE SCHEMA wh.core; CREATE SCHEMA wh.secure")
con.execute("CREATE TABLE wh.core.areas AS SELECT * FROM src.areas")
if phase in ("points", "geometry"):
    from etl.load import points
    con.execute("CREATE TABLE memory.raw_events AS SELECT * FROM src.raw_events")
    rows = con.execute("SELECT count(*) FROM memory.raw_events").fetchone()[0]
    run = lambda: points.check_points(con, "memory.raw_events", "TRY_CAST(reported_at AS TIMESTAMP)")
    if phase == "geometry":             # the batches' test alone: the batches read first, untimed
        threads, taken = points.cores.map_threads, []
        points.cores.map_threads = lambda fn, items, workers: taken.append((fn, list(items))) or []
        run()
        points.cores.map_threads = threads
        run = lambda: list(threads(*taken[0], None))
else:
    from etl.privacy.vault import seal
    con.execute("CREATE TABLE wh.secure.vault AS SELECT * FROM src.vault")
    con.execute("CREATE TABLE wh.secure.vault_index AS SELECT * FROM src.vault_index")
    con.execute("CREATE TABLE memory.clear_persons AS SELECT * FROM src.clear_persons")
    con.execute("CREATE TABLE memory.checked_persons AS SELECT line FROM src.clear_persons")
    relation = ("(SELECT * FROM memory.clear_persons WHERE line IN "
                "(SELECT line FROM memory.checked_persons))")          # as etl/load/files.py seals
    rows = con.execute("SELECT count(*) FROM memory.clear_persons").fetchone()[0]
    run = lambda: seal(con, bytes(32), "persons", ["name", "id_number", "phone"], relation)
wall, cpu = time.perf_counter(), time.process_time()
run()
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "rows": rows}))
"""


def prepare(source: Path, warehouse: Path, out: Path) -> None:
    import duckdb
    current = json.loads((warehouse / "CURRENT").read_text())["file"]
    with duckdb.connect(str(out)) as con:
        con.execute(f"ATTACH '{warehouse / current}' AS gen (READ_ONLY)")
        con.execute("CREATE TABLE areas AS SELECT * FROM gen.core.areas")
        con.execute("""CREATE TABLE raw_events AS SELECT row_number() OVER () + 1 AS line, grid_code,
                       CAST(lon AS VARCHAR) AS lon, CAST(lat AS VARCHAR) AS lat,
                       CAST(reported_at AS VARCHAR) AS reported_at FROM gen.core.events""")
        con.execute("CREATE TABLE vault AS SELECT * FROM gen.secure.vault LIMIT 0")
        con.execute("CREATE TABLE vault_index AS SELECT * FROM gen.secure.vault_index LIMIT 0")
        con.execute(f"""CREATE TABLE clear_persons AS
                        SELECT row_number() OVER () + 1 AS line, 人员编号 AS record_id, 姓名 AS name,
                               公民身份号码 AS id_number, 联系电话 AS phone
                        FROM read_csv('{source / "persons.csv"}', all_varchar = true)""")


def once(phase: str, tree: Path, workers: int, prepared: Path, tmp: Path) -> dict:
    scratch = tmp / "wh.duckdb"
    scratch.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    env = {**os.environ, "ETL_WORKERS": str(workers), "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", PHASE, phase, str(prepared), str(scratch)], cwd=tree,
                         env=env, check=True, capture_output=True, text=True)
    scratch.unlink(missing_ok=True)
    return {**json.loads(out.stdout.splitlines()[-1]), "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT / "data" / "bench" / "city")
    parser.add_argument("--warehouse", type=Path, default=ROOT / "data" / "bench" / "city-warehouse")
    parser.add_argument("--before", type=Path, help="an older checkout to measure beside this one "
                        "(of the same warehouse layout: schemas per layer)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phases", nargs="+", default=["points", "seal"], choices=["points", "geometry", "seal"])
    parser.add_argument("--inputs", type=Path, help="keep the prepared inputs in this file (reused if present)")
    args = parser.parse_args()
    trees = ([("before", args.before.resolve())] if args.before else []) + [("after", ROOT)]
    print(f"{os.cpu_count()} CPUs; {args.runs} runs each; medians (min–max); load = 1-min load average "
          "before each run\n")
    print(f"{'phase':<7} {'code':<7} {'workers':>7} {'rows':>11} {'wall s':>16} {'cpu s':>7} {'load':>16}")
    with tempfile.TemporaryDirectory(prefix="bench-load-phases-") as tmp:
        prepared = args.inputs or Path(tmp) / "inputs.duckdb"
        if not prepared.exists():
            prepare(args.source, args.warehouse, prepared)
        for phase in args.phases:
            # an older checkout without the threads: once, at the most workers
            configs = [(name, tree, w) for name, tree in trees if name == "after" or phase != "geometry"
                       for w in (args.workers if name == "after" else args.workers[-1:])]
            runs = {c: [] for c in configs}
            for _ in range(args.runs):          # interleaved: the machine's load drifts
                for c in configs:
                    runs[c].append(once(phase, c[1], c[2], prepared, Path(tmp)))
            for (name, _, workers), done in runs.items():
                wall = [r["wall"] for r in done]
                loads = " ".join(f"{r['load']:.1f}" for r in done)
                print(f"{phase:<7} {name:<7} {workers:>7} {done[0]['rows']:>11,} "
                      f"{statistics.median(wall):>7.1f} ({min(wall):.1f}–{max(wall):.1f}) "
                      f"{statistics.median(r['cpu'] for r in done):>7.1f} {loads:>16}", flush=True)

if __name__ == "__main__":
    main()
