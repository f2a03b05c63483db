"""Reasons not to serve a build: a file quarantined beyond the limit (checked after every file, so
a doomed build stops early), a guarded table collapsed against the served generation."""
from __future__ import annotations

from pathlib import Path

import duckdb

from etl.run import PublishRefused, PublishRules, Run, RunReport

# tables whose row counts must not collapse from one generation to the next
GUARDED_TABLES = ("core.areas", "core.households", "core.persons", "core.events")


def quarantine_problems(report: RunReport, rules: PublishRules) -> list[str]:
    return [f"{f['file']}: 隔离 {f['quarantined']}/{f['rows_in']} 行, 超过 "
            f"{rules.max_quarantine_share:.0%} (too much quarantined)"
            for f in report.files
            if f["rows_in"] and f["quarantined"] / f["rows_in"] > rules.max_quarantine_share]


def refuse_early(run: Run) -> None:
    """A file quarantined beyond the limit dooms the build: stop now, not after every model."""
    run.report.problems = quarantine_problems(run.report, run.rules)
    if run.report.problems:
        raise PublishRefused("; ".join(run.report.problems))


def refuse_unfit(run: Run, building: Path) -> None:
    """Refuse `building` if it has a reason not to be served (the report lists them)."""
    run.report.problems = publish_problems(run, building)
    if run.report.problems:
        raise PublishRefused("; ".join(run.report.problems))


def publish_problems(run: Run, building: Path) -> list[str]:
    """Reasons not to serve this build: a file mostly quarantined, a table collapsed."""
    rules = run.rules
    problems = quarantine_problems(run.report, rules)
    if run.served is not None:
        new, old = row_counts(building), row_counts(run.served.path)
        for table in GUARDED_TABLES:
            if old.get(table) and new.get(table, 0) < rules.min_row_ratio * old[table]:
                problems.append(f"{table}: {new.get(table, 0)} 行, 上一版本 {old[table]} 行 "
                                f"(fewer than {rules.min_row_ratio:.0%} of the served generation)")
    return problems


def row_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        # a large table is a view over its partitions (etl/storage.py)
        present = {f"{s}.{t}" for (s, t) in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in GUARDED_TABLES if t in present}
    finally:
        con.close()
