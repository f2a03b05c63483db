"""One run of `python -m etl refresh`, as every stage sees it: `Run` carries its paths, its rules,
the contract it reads by, the served generation, the build's connection, the data's as-of instant
and its report for the run log, instead of each stage taking eight to ten positional arguments."""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.contract import SourceFile
from etl.exitcodes import ExitCode, Failure
from etl.load import values
from warehouse.generations import Generation


@dataclass(frozen=True)
class PublishRules:
    """What a build must pass before it is served (docs/operations.md, section 18)."""
    keep: int = 3                       # generations kept on disk, the served one included
    min_row_ratio: float = 0.5          # each guarded table keeps at least this share of its rows
    max_quarantine_share: float = 0.05  # of any one file's rows
    # grids that do not tile their community (etl/load/topology.py): "warn" (report and publish)
    # or "refuse" (exit 4); overlaps and gaps up to this many square metres are not reported
    topology: str = "warn"
    topology_tolerance_m2: float = 100.0
    force: bool = False                 # build and publish even when the files are unchanged
    # DuckDB's memory during a build (read when the rules are made, so a test can set it)
    memory_limit: str = field(default_factory=lambda: os.environ.get("ETL_MEMORY_LIMIT", "2GB"))


class PublishRefused(Failure):
    """The build failed its checks; the served generation stays."""
    exit_code = ExitCode.REJECTED


@dataclass
class RunReport:
    run_id: str
    status: str = "running"
    generation: str | None = None
    files: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    detail: dict = field(default_factory=dict)          # the run log's detail column
    t0: float = field(default_factory=time.perf_counter)


def new_run_id() -> str:
    """Sortable by start time (generations are ordered by name), to the microsecond: two runs in
    one second still sort in the order they started. The suffix keeps ids unique across hosts."""
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S.%f-") + uuid.uuid4().hex[:4]


@dataclass
class Run:
    """A refresh of `warehouse` from `source`. The fields below the line are filled as it goes."""
    source: Path
    warehouse: Path
    key_file: Path
    mapping: Path | None = None           # a site's file and header names (etl/contract)
    rules: PublishRules = field(default_factory=PublishRules)
    incremental: bool = False
    warning_settings: Path | None = None  # a site's early-warning settings (etl/warning/settings.toml)
    report: RunReport = field(default_factory=lambda: RunReport(new_run_id()))
    # ---
    runs: sqlite3.Connection | None = None            # the run log (etl/runlog.py)
    specs: list[SourceFile] = field(default_factory=list)
    served: Generation | None = None                  # the generation served when the run started
    key: bytes | None = None                          # the pseudonymisation key, once loaded
    vault_key: bytes | None = None                    # the vault's, once loaded (a full build seals)
    con: duckdb.DuckDBPyConnection | None = None      # the build's, while one is open (`wh`: the build)
    as_of: dt.datetime | None = None                  # the data's as-of instant, once the events are merged

    def __post_init__(self):
        self.source, self.warehouse = Path(self.source), Path(self.warehouse)

    @property
    def run_id(self) -> str:
        return self.report.run_id


def connect(memory_limit: str, spill: Path) -> duckdb.DuckDBPyConnection:
    """The build's in-memory database, held to `memory_limit` (DuckDB would take 80 % of the
    machine); what does not fit spills to `spill`, inside the building folder, which every run
    clears. On a terminal, DuckDB draws a progress bar for any query running over two seconds;
    in a log file (cron, systemd) it stays quiet."""
    spill.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute(f"SET enable_progress_bar = {str(sys.stdout.isatty()).lower()}")
    values.register(con)
    return con


def literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"   # ATTACH takes no bound parameter
