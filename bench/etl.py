"""Benchmark the refresh against its floor: a bare DuckDB load of the same CSV files.

    python bench/etl.py                            # demo, 3 runs
    python bench/etl.py --scales demo city --runs 1
    python bench/etl.py --scales tiny demo city cityx2 cityx4 --runs 1     # the growth curve

Sources are generated once per scale into data/bench/<scale>/ (seed 42) and reused; a scratch
folder links to them, with events.csv split into the export of the day before the end and one
update file for the last day (demo/updates.py, streamed from the source into the scratch folder). Each measurement is a fresh process
(imports included): the full refresh (--force, the base export) and then the incremental
refresh merging the last day's update into what the full refresh published. The first full
refresh starts from an empty warehouse ("first s": nothing kept, the early warning detects every
day); the later ones rebuild over the generation the run before left (a day ahead of the export:
they keep its detections of the days both have, etl/warning/detections.py). Each refresh serves
its data first and its warnings as the next generation: "data s" is when the data was served (the
run log's data_seconds), the other column the whole run, "warn. after s" the difference. "inc.
written GB" is what the incremental run wrote to disk (the kernel's count of blocks written, so
hard links count nothing), against the generation's size ("gen. GB", every file it reads). The floor reads
each CSV the full refresh reads with `CREATE TABLE … AS SELECT * FROM read_csv(…, all_varchar
= true)` (text, as the refresh reads it first: type sniffing fails on real-sized files; nothing
checked; the one small XLSX file is left out of the floor). Prints medians (min–max); this machine is shared and noisy, so
read the ratio beside the seconds, and the full refresh's CPU seconds ("cpu s"), which another
process's load changes far less than its wall time. "full disk GB": the most the warehouse folder
took on disk during the full refresh (its work file, DuckDB's spill and the generations kept from
earlier runs included), sampled every 2 s: at the growth curve's larger scales the disk runs out before the memory does."""
from __future__ import annotations

import argparse
import json
import os
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.measure import ROOT, measure  # noqa: E402
from demo.updates import split_updates  # noqa: E402
from etl import contract, runlog  # noqa: E402
from warehouse import generations  # noqa: E402
from warehouse.generations import PARTS  # noqa: E402

FLOOR = ("import duckdb, sys; con = duckdb.connect(); "
         "[con.execute(f\"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', all_varchar = true)\") "
         "for i, f in enumerate(sys.argv[1:])]")


def source(scale: str) -> Path:
    """A scale's sources; `cityx2`, `cityx4`: the city with its events multiplied (the growth
    curve: `demo generate --events-factor`)."""
    out = ROOT / "data" / "bench" / scale
    base, _, factor = scale.partition("x")
    if not (out / "manifest.json").exists():
        print(f"generating {scale} sources into {out} …", flush=True)
        subprocess.run([sys.executable, "-m", "demo", "generate", "--scale", base, "--out", str(out),
                        "--seed", "42", "--events-factor", factor or "1"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    return out


def generation_bytes(generation: generations.Generation) -> int:
    """A generation's size: every file it reads, its partitions shared with others included."""
    if generation.path.parent.name != generation.id:       # an older release's single file
        return generation.path.stat().st_size
    return sum(p.stat().st_size for p in generation.path.parent.rglob("*") if p.is_file())


def disk_used(folder: Path) -> int:
    """Bytes a folder takes on disk (blocks, so a hard link counts once and a sparse file what it
    holds). Files and folders vanish while it walks (a prune, the spill, a publish): skipped."""
    seen, total = set(), 0
    for root, _, names in os.walk(folder, onerror=lambda _: None):
        for name in names:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


@contextmanager
def peak_disk(folder: Path, every: float = 2.0):
    """Yields a list that holds, once the block ends, the most the folder took on disk while it ran
    (DuckDB's spill of a run included: where a larger scale runs out of disk first)."""
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(every):
            peak[0] = max(peak[0], disk_used(folder) if folder.exists() else 0)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def rows_in(src: Path) -> int:
    """Data rows of every source file the refresh reads (CSV lines; XLSX sheet rows)."""
    from openpyxl import load_workbook
    total = 0
    for spec in contract.CSV_SOURCES:
        if spec.format == "xlsx":
            total += sum(1 for _ in load_workbook(src / spec.file, read_only=True).worksheets[0].iter_rows()) - 1
            continue
        with open(src / spec.file, "rb") as f:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    return total


def by_inode(folder: Path) -> dict[tuple, Path]:
    """The files under a folder by inode (a hard link is the file it links)."""
    out = {}
    for path in folder.rglob("*"):
        st = path.lstat()
        if stat.S_ISREG(st.st_mode):
            out[(st.st_dev, st.st_ino)] = path
    return out


def by_table(folder: Path, before: dict) -> Counter:
    """Bytes of the files under `folder` that are not among `before`'s, by stored table (its
    partitions' folder) or file name: what a run wrote that stays."""
    out = Counter()
    for inode, path in by_inode(folder).items():
        if inode not in before:
            parts = path.relative_to(folder).parts
            out[parts[parts.index(PARTS) + 1] if PARTS in parts else path.name] += path.stat().st_size
    return out


def _summary(runs: list[dict]) -> tuple[float, str, float]:
    wall = [r["wall"] for r in runs]
    return statistics.median(wall), f"({min(wall):.0f}–{max(wall):.0f})", max(r["peak_mb"] for r in runs)


def _data_seconds(warehouse: Path) -> dict:
    """When the last run served its data, as a measurement (bench.measure's shape)."""
    return {"wall": json.loads(runlog.runs(warehouse)[0]["detail"])["data_seconds"], "peak_mb": 0}


def scratch(src: Path, work: Path) -> Path:
    """Links to the generated files, events.csv as of the day before the end (written by the
    split, streamed from the source: no copy of a 16 GB file); returns the last day's update file,
    moved aside (the incremental run puts it back)."""
    work.mkdir()
    for p in src.iterdir():
        if p.name != "events.csv":
            (work / p.name).symlink_to(p)
    (update,) = split_updates(src, 1, out=work)
    return update.rename(work / update.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["demo"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the bare load (it holds every CSV in memory: too much beyond the city)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.runs} run(s) per scale; medians (min–max)\n")
    print(f"{'scale':<6} {'rows in':>11} {'floor s':>15} {'refresh s':>15} {'first s':>7} {'cpu s':>7} {'ratio':>6} "
          f"{'data s':>15} {'floor MB':>9} {'refresh MB':>11} {'rows/s':>9} {'day rows':>9} {'data s':>15} "
          f"{'incremental s':>15} {'warn. after s':>13} {'inc. written GB':>15} {'gen. GB':>7} {'written %':>9} "
          f"{'full disk GB':>12}")
    for scale in args.scales:
        src = source(scale)
        with tempfile.TemporaryDirectory(prefix=f"bench-etl-{scale}-") as tmp:
            work, wh, key = Path(tmp) / "source", Path(tmp) / "warehouse", Path(tmp) / "bench.key"
            update = scratch(src, work)
            day_rows = sum(1 for _ in open(update, encoding="utf-8")) - 1
            files = [str(work / s.file) for s in contract.CSV_SOURCES if s.format == "csv"]
            floor = [] if args.no_floor else [measure([sys.executable, "-c", FLOOR, *files])
                                              for _ in range(args.runs)]
            refresh = [sys.executable, "-m", "etl", "refresh", "--source", str(work),
                       "--warehouse", str(wh), "--key-file", str(key)]
            full, full_data, incremental, data = [], [], [], []
            for _ in range(args.runs):
                if (work / "updates" / update.name).exists():
                    (work / "updates" / update.name).rename(update)
                with peak_disk(wh) as disk:
                    measured = measure(refresh + ["--force"])
                full.append(measured | {"disk": disk[0]})
                full_data.append(_data_seconds(wh))
                update.rename(work / "updates" / update.name)
                before = by_inode(wh)
                incremental.append(measure(refresh + ["--incremental"]))
                kept_files = by_table(wh, before)
                data.append(_data_seconds(wh))
            n = rows_in(work)
            gb = generation_bytes(generations.current(wh)) / 1e9
        f_med, f_range, f_peak = _summary(floor) if floor else (float("nan"), "(—)", 0)
        r_med, r_range, r_peak = _summary(full)
        r_cpu = statistics.median(r["cpu"] for r in full)
        i_med, i_range, _ = _summary(incremental)
        d_med, d_range, _ = _summary(data)
        written = statistics.median(r["written_mb"] for r in incremental) / 1e3
        after = statistics.median(r["wall"] - d["wall"] for r, d in zip(incremental, data))
        fd_med, fd_range, _ = _summary(full_data)
        disk = max(r["disk"] for r in full) / 1e9
        print(f"{scale:<6} {n:>11,} {f_med:>7.1f} {f_range:>7} {r_med:>7.1f} {r_range:>7} {full[0]['wall']:>7.1f} {r_cpu:>7.0f} "
              f"{r_med / f_med:>6.1f} {fd_med:>7.1f} {fd_range:>7} {f_peak:>9,.0f} {r_peak:>11,.0f} {n / r_med:>9,.0f} "
              f"{day_rows:>9,} {d_med:>7.1f} {d_range:>7} {i_med:>7.1f} {i_range:>7} {after:>13.1f} "
              f"{written:>15.2f} {gb:>7.2f} {100 * written / gb:>8.1f}% {disk:>12.1f}")
        print(f"{'':<6} the last incremental run's log (partitions written left out):\n"
              + "\n".join(f"{'':<8}{line}" for line in incremental[-1]["log"] if "写出分区" not in line))
        print(f"{'':<6} the incremental run's new files that stay ({sum(kept_files.values()) / 1e6:,.1f} MB): "
              + ", ".join(f"{name} {size / 1e6:,.1f}" for name, size in kept_files.most_common(10)), flush=True)


if __name__ == "__main__":
    main()
