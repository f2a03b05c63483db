"""The SQL models (etl/transform/sql/<layer>/<table>.sql, one table per file): built in full by a full
refresh, and brought up to date by an incremental one; and the generation's views
(etl/transform/sql/views/<view>.sql: areas_in_force, area_names). Staging models are scratch work
in memory (a view where only its core model reads it); they read cells already trimmed by the
repairs (etl/load/repairs.py), so they cast them as they are. Core models are published in the
schema `core`, marts in `mart` (docs/data-contract.md).

Incremental marts work as dbt's incremental models do. A mart that an event update can change
has a scope file, etl/transform/sql/marts/incremental/<table>.sql, selecting one column: the key values
(event ids, days, months) of the rows the update may have changed. Those rows are deleted and
computed again by the mart's own model, restricted to those keys; every other row stays. The
scope reads `memory.touched_versions` (every state, old and new, of the events this run changed)
and `memory.previous_meta` (the served generation's meta, so its as-of). A scope file beginning
`-- per event:` declares a mart of one row per event, computed from that event's row alone (its
keys are event ids): its model reads only the partitions of `wh.core.events` holding those events
(etl/storage.py `narrowed`); a model looking across events must not say so. A mart without a scope
file that reads nothing an update changes (`_reads_updated`) is left as it is; any other is
rebuilt in full."""
from __future__ import annotations

import functools
import graphlib
import logging
import re
from contextlib import nullcontext
from pathlib import Path

from etl import storage

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).parent / "sql"
SCOPE_DIR = SQL_DIR / "marts" / "incremental"
VIEWS_DIR = SQL_DIR / "views"
# where each layer's models are published
_PUBLISHED = {"staging": "memory", "core": "wh.core", "marts": "wh.mart"}
# built with the core models, as it reads the staging persons (their tags are never published),
# but a count per grid with no row per person: published with the marts
_BUILT_WITH_CORE_MARTS = {"person_groups_per_grid"}


def model_sql(layer: str, name: str) -> str:
    return (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")


def _target(layer: str, name: str) -> str:
    return f"wh.mart.{name}" if name in _BUILT_WITH_CORE_MARTS else f"{_PUBLISHED[layer]}.{name}"


@functools.cache
def readers(table: str) -> frozenset[str]:
    """The models (by file name) that read the in-memory table memory.<table>."""
    pattern = re.compile(rf"\bmemory\.{re.escape(table)}\b")
    return frozenset(p.stem for p in SQL_DIR.rglob("*.sql") if pattern.search(p.read_text(encoding="utf-8")))


def run_file(con, layer: str, name: str) -> None:
    target = _target(layer, name)
    if target.removeprefix("wh.") in storage.STORED:
        storage.release(con, target.removeprefix("wh."))      # rebuilt in full: written in full
    if layer == "staging" and readers(name) <= {name.removeprefix("stg_")}:
        # read by its core model alone: a view, so that the rows are written once, by the core
        # model (a table of a city's staged events cost 18 s more, and a second copy spilled)
        con.execute(f"CREATE OR REPLACE VIEW {target} AS {model_sql(layer, name)}")
        return
    con.execute(f"CREATE OR REPLACE TABLE {target} AS {model_sql(layer, name)}")


def run(con, layers) -> None:
    """Every model of these layers not already built while loading, in file-name order."""
    built = {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name IN ('wh', 'memory') UNION ALL "
        "SELECT view_name FROM duckdb_views() WHERE database_name = 'memory'").fetchall()}
    for layer in layers:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            if path.stem not in built:
                log.info("模型 %s/%s", layer, path.stem)
                run_file(con, layer, path.stem)


def create_views(con, catalog: str | None = "wh") -> None:
    """The views of a generation (etl/transform/sql/views/<name>.sql), in the schema `core` of
    `catalog` (None: the connection's own), over its tables by schema and name, without the
    catalog: DuckDB binds a view in its own catalog, so they hold in any file they are read from,
    whatever name it is attached under. They need the tables they read (meta included)."""
    prefix = f"{catalog}." if catalog else ""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(VIEWS_DIR.glob("*.sql"))}
    # a view reading another (core.<name>) is created after it: DuckDB binds a view when created
    reads = {name: {other for other in texts if other != name and re.search(rf"\bcore\.{other}\b", text)}
             for name, text in texts.items()}
    for name in graphlib.TopologicalSorter(reads).static_order():
        con.execute(f"CREATE OR REPLACE VIEW {prefix}core.{name} AS {texts[name]}")


def touched_versions(con, run_id: str) -> None:
    """memory.touched_versions: the new state of every event this run merged and the state it
    replaced (kept in wh.core.event_history). Stale incoming states changed nothing and are left out.
    Both were written by this run: read from the partitions it opened (etl/storage.py `opened`)."""
    events, history = storage.opened(con, "core.events"), storage.opened(con, "core.event_history")
    con.execute(f"""CREATE OR REPLACE TABLE memory.touched_versions AS
        SELECT * FROM {events} WHERE event_id IN (SELECT event_id FROM memory.merged_events)
        UNION ALL
        SELECT * EXCLUDE (run_id, file, change) FROM {history}
        WHERE run_id = $run AND change = 'superseded'""", {"run": run_id})


# what an incremental run writes besides the marts (etl/refresh.py): the events and their history,
# the as-of (meta), the files applied, the work calendar's coverage; and, when an area started or
# ended between the two as-of instants, the shapes and the areas in force
_UPDATED = ("core.events", "core.event_history", "ops.meta", "ops.applied_updates", "ops.calendar_coverage")
_AREAS = ("core.map_shapes", "core.areas_in_force")


def _reads_updated(sql: str, areas_changed: bool) -> bool:
    """Whether a model reads what an event update changes: a table of `_UPDATED`, a mart brought
    up to date by it, those of `_AREAS` when the areas changed, or a view reading any of these. A
    model reading none of them needs no incremental work."""
    changed = {*_UPDATED, *(f"mart.{p.stem}" for p in (SQL_DIR / "marts").glob("*.sql")),
               *(_AREAS if areas_changed else ())}
    # the areas in force read the as-of, but change only when an area started or ended: `_AREAS`
    views = {p.stem: p.read_text(encoding="utf-8") for p in VIEWS_DIR.glob("*.sql") if f"core.{p.stem}" not in _AREAS}
    while True:           # views reading views (core.area_names reads core.areas_in_force)
        more = {f"core.{name}" for name, text in views.items() if _names_any(text, changed)} - changed
        if not more:
            return _names_any(sql, changed)
        changed |= more


def _names_any(sql: str, tables: set[str]) -> bool:
    """Whether `sql` names one of `tables` (as `wh.<schema>.<table>`, or `<schema>.<table>` in a view)."""
    return re.search(r"\b(?:wh\.)?(?:" + "|".join(re.escape(t) for t in sorted(tables)) + r")\b", sql) is not None


def update_marts(con, areas_changed: bool = True) -> dict[str, int]:
    """Bring every mart up to date after an event update (see the module's doc). Needs
    memory.touched_versions and memory.previous_meta. `areas_changed`: whether an area started
    or ended between the two as-of instants. Returns the rows recomputed per mart (-1: rebuilt in
    full)."""
    present = {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = 'mart' UNION ALL "
        "SELECT view_name FROM duckdb_views() WHERE database_name = 'wh' AND schema_name = 'mart'").fetchall()}
    done = {}
    for path in sorted((SQL_DIR / "marts").glob("*.sql")):
        name, sql = path.stem, path.read_text(encoding="utf-8")
        scope = SCOPE_DIR / f"{name}.sql"
        if scope.exists() and name in present:
            done[name] = _update_rows(con, name, sql, scope.read_text(encoding="utf-8"))
        elif name not in present or _reads_updated(sql, areas_changed):
            run_file(con, "marts", name)
            done[name] = -1
        log.info("模型 marts/%s: %s", name, "不变 (unchanged)" if name not in done
                 else "重建" if done[name] == -1 else f"{done[name]} 行重算")
    return done


def rebuild_from(con, *tables: str) -> list[str]:
    """After wh.core.<tables> changed in a copy of a generation (the work calendar: wh.core.workdays): every
    core model reading them computed again from its own rows (its `-- derived:` columns dropped,
    the rest being its staging input), then every mart reading any of those. Returns the models
    rebuilt, as layer/name."""
    changed, done = set(tables), []
    for layer in ("core", "marts"):
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            if not any(re.search(rf"\bwh\.core\.{t}\b", sql) for t in changed):
                continue
            if layer == "core":
                derived = re.search(r"^-- derived: (.+)$", sql, re.M)
                if derived is None:
                    raise ValueError(f"{path.name} reads {sorted(changed)} but names no -- derived: columns")
                if con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = 'memory' "
                               "AND view_name = ?", [f"stg_{path.stem}"]).fetchone()[0]:
                    con.execute(f"DROP VIEW memory.stg_{path.stem}")                # run_file's
                con.execute(f"CREATE OR REPLACE TABLE memory.stg_{path.stem} AS "
                            f"SELECT * EXCLUDE ({derived.group(1)}) FROM {_target(layer, path.stem)}")
                changed.add(path.stem)
            run_file(con, layer, path.stem)
            done.append(f"{layer}/{path.stem}")
    log.info("重建 (rebuilt): %s", ", ".join(done))
    return done


def _update_rows(con, name: str, model: str, scope: str) -> int:
    con.execute(f"CREATE OR REPLACE TEMP TABLE mart_scope AS SELECT DISTINCT * FROM ({scope})")
    (key,) = [c for (c, *_rest) in con.execute("DESCRIBE mart_scope").fetchall()]
    # a few keys (days, months) as a list: the filter then reaches the scan below the model's
    # GROUP BY, which otherwise aggregates every event to keep a few days (and spills at city
    # scale); many keys (event ids) as a semi-join, which hashes them
    keys = [k for (k,) in con.execute("SELECT * FROM mart_scope").fetchall()] \
        if con.execute("SELECT count(*) FROM mart_scope").fetchone()[0] <= _LISTED_KEYS else None
    where, params = (f"list_contains($keys, {key})", {"keys": keys}) if keys is not None \
        else (f"{key} IN (SELECT {key} FROM mart_scope)", None)
    storage.delete(con, f"mart.{name}", where, params)
    # a mart of a row per event, computed from that event's row alone (its scope file says so): its
    # model needs only the events' partitions holding the scope's events
    per_event = re.search(r"^-- per event:", scope, re.M) is not None
    events = storage.narrowed(con, "core.events", where, params) if per_event else nullcontext()
    with events:
        n = storage.insert(con, f"mart.{name}", f"SELECT * FROM ({model}) WHERE {where}", params, by_name=True)
    con.execute("DROP TABLE mart_scope")
    return n


_LISTED_KEYS = 5000
