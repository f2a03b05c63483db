"""The served warehouse as numbered generations behind a pointer file: how a reader finds the
served one (the ETL publishes them: etl/publish/generations.py).

    <warehouse>/CURRENT                    JSON: {"generation", "file", "published_at"}
    <warehouse>/generations/<id>.duckdb    published builds, the newest few kept
    <warehouse>/building/<id>.duckdb       a build in progress (never read)

The ETL replaces CURRENT atomically and never writes a file that is being served, so a reader
(the cockpit, notebooks) reads CURRENT and opens the generation's file read-only: a run killed at
any point leaves CURRENT naming a complete generation. A new file name per generation also
sidesteps DuckDB's per-process cache of open databases (see docs/design.md).

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


@dataclass(frozen=True)
class Generation:
    id: str
    path: Path


def generation_path(warehouse: Path, generation_id: str) -> Path:
    return Path(warehouse) / GENERATIONS / f"{generation_id}.duckdb"


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
    return [Generation(p.stem, p) for p in sorted(folder.glob("*.duckdb"))]


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
