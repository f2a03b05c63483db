"""The served warehouse as numbered generations behind a pointer file: how a reader finds the
served one (the ETL publishes them: etl/publish/generations.py).

    <warehouse>/CURRENT                              JSON: {"generation", "file", "published_at"}
    <warehouse>/generations/<id>/warehouse.duckdb    a generation's small tables and its views
    <warehouse>/generations/<id>/parts/<schema>.<table>/part=<key>/*.parquet
                                                     its large tables, in partitions
    <warehouse>/generations/<id>/BUILDING            present while the folder is being built
    <warehouse>/building/                            a full build's work file (never read)

The large tables (etl/storage.py) are Parquet partitions, each a file that is written once
and never changed: a partition that did not change since the previous generation is a hard link
to its file, so an incremental run writes what changed, not the warehouse. The small file holds
every other table and, for each large one, a view over its partitions by absolute path; a reader
opens that one file read-only and reads every table by name, as before.

The ETL replaces CURRENT atomically and never writes a file that is being served, so a reader
(the cockpit, notebooks) reads CURRENT and opens the generation's file: a run killed at any point
leaves CURRENT naming a complete generation, and the folder it was building keeps its BUILDING
mark, so that nothing lists it. A new file name per generation also sidesteps DuckDB's
per-process cache of open databases (see docs/design.md). Generations of releases before this
layout, single `<id>.duckdb` files, are still listed and read.

Generation ids start with the build time (YYYYmmddTHHMMSS), so they sort in build order."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

POINTER = "CURRENT"
# the schemas of a generation, by layer (docs/data-contract.md, "What a generation holds"): the
# cleaned register and facts, the marts, the early warnings, the run's own bookkeeping, the sealed
# personal data.
# Every table and view is in one of them, none in `main`; every query names the schema it reads.
SCHEMAS = ("core", "mart", "warning", "ops", "secure")
GENERATIONS = "generations"
BUILDING = "building"
FILE = "warehouse.duckdb"           # a generation's small file, inside its folder
PARTS = "parts"                     # its large tables' partitions, inside its folder
BUILDING_MARK = "BUILDING"          # in a generation's folder until it is complete and checked


@dataclass(frozen=True)
class Generation:
    id: str
    path: Path


def generation_path(warehouse: Path, generation_id: str) -> Path:
    return Path(warehouse) / GENERATIONS / generation_id / FILE


def current(warehouse: Path) -> Generation | None:
    """The served generation, or None before the first publish."""
    try:
        pointer = json.loads((Path(warehouse) / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Generation(pointer["generation"], Path(warehouse) / pointer["file"])


def published(warehouse: Path) -> list[Generation]:
    """Every generation on disk, oldest first."""
    folder = Path(warehouse) / GENERATIONS
    found = [Generation(p.parent.name, p) for p in folder.glob(f"*/{FILE}")
             if not p.parent.name.startswith(".") and not (p.parent / BUILDING_MARK).exists()]
    found += [Generation(p.stem, p) for p in folder.glob("*.duckdb")]       # an older release's
    return sorted(found, key=lambda g: g.id)


def served(warehouse: Path) -> Generation:
    """What a reader opens: the served generation of a warehouse directory, or a single DuckDB
    file as it is (its name as the id). FileNotFoundError before the first publish."""
    warehouse = Path(warehouse)
    if warehouse.is_file():
        return Generation(warehouse.name, warehouse)
    found = current(warehouse)
    if found is None or not found.path.exists():
        raise FileNotFoundError(f"数据仓库不存在或尚未发布: {warehouse}")
    return found
