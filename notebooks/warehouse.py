"""The served warehouse as analysts' notebooks see it: one area, one period, masked.

    from notebooks.warehouse import open_area, record
    wh = open_area(warehouse=None, area_code="220204001", start_date="2026-01-01")
    wh.sql("SELECT count(*) AS events FROM events "
           "WHERE reported_at >= $start AND reported_at < $end + INTERVAL 1 DAY")

**Which generation.** `open_area` reads the CURRENT pointer (warehouse/generations.py) once and keeps
that generation's file open read-only until `close()`, so a notebook's numbers never mix two
generations. A refresh never writes a served file, publishes with an atomic rename and may
delete an old generation while it is open (the file lives on until its reader lets go), so an
open notebook neither blocks nor breaks it. Run the opening cell again for a newer generation.
Not `cockpit.db.Warehouse`: it takes a new cursor per query, right for a threaded server, but
cursors do not see a connection's temporary views, and the masking below rests on them. Nothing
from `cockpit` is imported at all (the package starts Dash, seconds of every kernel's start), nor
from `etl`: where the warehouse is, its served generation and the area levels come from the shared
read package `warehouse/`, as the cockpit's do.

**What SQL sees.** Temporary views, each limited to the area (`starts_with(<area column>,
area_code)`), by the layer (schema) of the table under it (docs/data-contract.md, "What a
generation holds"):
- `core` (the register and facts): only the tables in CORE_VIEWS, under their own names (`events`,
  `persons`, `areas_in_force`), and only their listed columns (default deny): names, ID numbers
  and phones in their masked forms, no keyed hashes (`person_key`), no free text (events'
  descriptions, needs' contents), nothing of the platform accounts;
- `mart` and `warning` (counts and early warnings; no personal data, which
  tests/notebooks/test_warehouse.py checks with warehouse/personal.py): every table, whole, as
  `mart_<table>` and `warning_<table>` (`mart_events_daily`, `warning_incidents`), limited by its
  area column (AREA_COLUMNS) or, a warning table of incidents, to the incidents the area sees (of
  an incident covering other grids too, its alerts, grids and linked events inside the area only,
  ROWS_ON_AREAS, as the cockpit shows them); a table with none of these (the
  city-wide `warning_budget`, `warning_meta`, `warning_quality`) is not shown;
- `ops` (the run's bookkeeping, quarantined raw values) and `secure` (the sealed vault): never.
A query naming anything else (another table, a qualified name such as `core.persons`, a table
function but range/generate_series/unnest: no files, no SQL in strings) or that is not a single
SELECT is refused before it runs. This is the notebooks' way in, not a sandbox against someone who can read the files; the
clear values are not in the warehouse at all (sealed under a key the notebooks never read).

The views read the area from a variable of the notebook's own connection, which only a SET
could change, and SET is refused. (DuckDB's lock_configuration and enable_external_access are
not used: they hold for every connection to the file in the process, the cockpit's included.)

**Parameters.** SQL binds `$scope` (the area code, as in the cockpit's SQL), `$start` and `$end`
(dates, both included) and any keyword given to `sql()`; values are never formatted into SQL."""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import generations, state
from warehouse.areas import CITY_CODE, CITY_NAME, LEVEL_NAMES, LEVEL_OF_LENGTH, is_area_code

# rows of a warning table keyed by incident: those of incidents the area sees (warning.incident_areas:
# an incident's main area, and its grids for an incident of grids or a community)
INCIDENT_IN_SCOPE = ("incident_id IN (SELECT incident_id FROM {catalog}.warning.incident_areas "
                     "WHERE starts_with(area_code, getvariable('scope')))")
# rows keyed by event (warning.incident_events): those of the area's events, not every event of an
# incident it sees (an incident of a community covers its other grids)
EVENT_IN_SCOPE = ("event_id IN (SELECT event_id FROM {catalog}.core.events "
                  "WHERE starts_with(grid_code, getvariable('scope')))")
AREA_IN_SCOPE = "starts_with({column}, getvariable('scope'))"
# schemas whose tables are shown whole, as <schema>_<table>, limited by the first of these columns
# they have, or, a warning table with incident_id, by incident; no such column, not shown
WHOLE_SCHEMAS = ("mart", "warning")
AREA_COLUMNS = ("grid_code", "code", "community_code", "area_code")
# warning tables by incident whose rows lie each on one area (not the incident's main area, which
# whoever sees the incident sees): of an incident the area sees, only its rows inside the area,
# as the cockpit shows them (warning__incident_alerts.sql, warning__incident_area.sql)
ROWS_ON_AREAS = {"alerts": AREA_IN_SCOPE.format(column="area_code"),
                 "incident_grids": AREA_IN_SCOPE.format(column="grid_code"),
                 "incident_events": EVENT_IN_SCOPE}
# core: view → (area column it is limited by; None for reference data; its columns). Default deny:
# a column the ETL adds later stays hidden until it is listed here.
CORE_VIEWS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "workdays": (None, ("day", "n")),
    "event_categories": (None, ("class_code", "class_name", "subclass_code", "subclass_name",
                                "limit_value", "limit_unit", "department", "board")),
    "areas": ("code", ("code", "name", "level", "kind", "parent_code", "urban", "area_km2",
                       "centroid_lon", "centroid_lat", "valid_from", "valid_to", "worker_account")),
    # the versions in force at the data's as-of instant (the ETL's one definition)
    "areas_in_force": ("code", ("code", "name", "level", "kind", "parent_code", "urban", "area_km2",
                                "centroid_lon", "centroid_lat", "valid_from", "valid_to", "worker_account")),
    "events": ("grid_code", ("event_id", "source", "class_code", "class_name", "subclass_code",
                             "subclass_name", "reported_at", "lon", "lat", "address", "grid_code",
                             "community_code", "street_code", "district_code", "accepted_at",
                             "dispatched_at", "handled_at", "verified_at", "closed_at", "department",
                             "deadline", "rework_count", "extension_count", "satisfaction", "status",
                             "is_closed", "closed_on_time")),
    "persons": ("grid_code", ("person_id", "name_masked", "id_number_masked", "phone_masked", "sex",
                              "birth_year", "household_id", "relation", "residence_type", "grid_code",
                              "address_id", "community_code", "street_code", "district_code")),
    "households": ("grid_code", ("household_id", "grid_code", "address_id", "address", "members",
                                 "household_type", "community_code", "street_code", "district_code")),
    "needs": ("grid_code", ("need_id", "grid_code", "community_code", "street_code", "district_code",
                            "reported_date", "source", "domain", "target_group", "difficulty",
                            "urgency", "responsible_unit", "time_limit_days", "deadline_date",
                            "status", "resolved_date", "satisfaction")),
    "service_projects": ("community_code", ("project_id", "name", "project_type", "target_group",
                                            "organiser", "start_date", "end_date", "community_code",
                                            "street_code", "district_code")),
    "service_activities": ("community_code", ("activity_id", "project_id", "title", "activity_date",
                                              "participants", "volunteers", "team_id",
                                              "community_code", "street_code", "district_code")),
    "volunteer_teams": ("community_code", ("team_id", "name", "team_type", "founded_date", "members",
                                           "service_hours", "community_code", "street_code",
                                           "district_code")),
    "volunteers": ("community_code", ("volunteer_id", "team_id", "skills", "registered_date",
                                      "service_hours", "community_code", "street_code",
                                      "district_code")),
    "surveys": ("community_code", ("survey_id", "survey_date", "topic", "method", "respondents",
                                   "satisfied_share", "community_code", "street_code",
                                   "district_code")),
}
# the table functions a query may use: others read files or run SQL given as a string, which the
# check below cannot see into
TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
LEVELS = {n: LEVEL_NAMES[level] for n, level in LEVEL_OF_LENGTH.items()}   # code length → level's name
CITY = (CITY_CODE, CITY_NAME)
NUMBERS_MIME = "application/vnd.grid-cockpit.numbers+json"


def open_area(warehouse=None, area_code: str | None = None, start_date=None,
              end_date=None) -> "AreaWarehouse":
    """The served generation of `warehouse` (a directory with CURRENT, or one .duckdb file; None:
    COCKPIT_WAREHOUSE or data/warehouse, as the cockpit's settings) for one area and period.
    `area_code` None: the warehouse's top area. `end_date` None: the data's as-of date;
    `start_date` None: 364 days before the end (the cockpit's 近一年)."""
    served = generations.served(Path(warehouse) if warehouse else state.locate(os.environ)["warehouse"])
    return AreaWarehouse(served.path, served.id, area_code, start_date, end_date)


class AreaWarehouse:
    def __init__(self, file: Path, generation: str, area_code, start_date, end_date):
        self.generation = generation
        self._con = duckdb.connect(str(file), read_only=True)
        try:
            self._setup(area_code, start_date, end_date)
        except BaseException:
            self._con.close()
            raise

    def _setup(self, area_code, start_date, end_date) -> None:
        con = self._con
        catalog = '"' + con.execute("SELECT current_database()").fetchone()[0].replace('"', '""') + '"'
        self.as_of = pd.Timestamp(con.execute(f"SELECT as_of FROM {catalog}.ops.meta").fetchone()[0])
        # first day with events anywhere in the warehouse: before it there is no data (not zero)
        self.data_start = con.execute(f"SELECT min(day) FROM {catalog}.mart.events_daily").fetchone()[0]
        self.area_code, self.area_name = self._area(catalog, area_code)
        self.end = _date(end_date) or self.as_of.date()
        self.start = _date(start_date) or self.end - dt.timedelta(days=364)
        if self.start > self.end:
            raise ValueError(f"起始日期 {self.start} 晚于结束日期 {self.end}")
        con.execute("SET VARIABLE scope = $scope", {"scope": self.area_code})
        self.views = self._views()
        self._hidden = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
        ).fetchall()} - set(self.views)
        for name, (table, area_limit, columns) in self.views.items():
            where = "" if area_limit is None else " WHERE " + area_limit.format(catalog=catalog)
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT {', '.join(columns)} "
                        f"FROM {catalog}.{table}{where}")

    def _views(self) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
        """view name → (schema.table under it, the predicate limiting it to the area, its columns): the
        listed core tables this generation has, and every mart and warning table with an area."""
        columns: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in self._con.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                "WHERE database_name = current_database() ORDER BY schema_name, table_name, column_index"
        ).fetchall():
            columns.setdefault((schema, table), []).append(column)
        out = {name: (f"core.{name}", area and AREA_IN_SCOPE.format(column=area), listed)
               for name, (area, listed) in CORE_VIEWS.items() if ("core", name) in columns}
        for (schema, table), names in columns.items():
            if schema not in WHOLE_SCHEMAS:
                continue
            column = next((c for c in AREA_COLUMNS if c in names), None)
            area = (" AND ".join(filter(None, (INCIDENT_IN_SCOPE, ROWS_ON_AREAS.get(table))))
                    if schema == "warning" and "incident_id" in names
                    else column and AREA_IN_SCOPE.format(column=column))
            if area:
                out[f"{schema}_{table}"] = (f"{schema}.{table}", area, tuple(f'"{c}"' for c in names))
        return out

    def _area(self, catalog: str, code) -> tuple[str, str]:
        """(code, name) of the area: the given code, or the warehouse's one top area (else the city)."""
        if code is None:
            top = self._con.execute(
                f"SELECT code, name FROM {catalog}.core.areas_in_force "
                f"QUALIFY length(code) = min(length(code)) OVER ()").fetchall()
            return top[0] if len(top) == 1 else CITY
        code = str(code).strip()
        if not is_area_code(code):
            raise ValueError(f"不是区域代码（4/6/9/12/15 位数字）: {code!r}")
        if code == CITY[0]:
            return CITY
        name = self._con.execute(        # the version in force at as-of, else the latest one
            f"SELECT name FROM {catalog}.core.area_names WHERE code = $code", {"code": code}).fetchone()
        if name is None:
            raise ValueError(f"数据仓库中没有区域代码 {code}")
        return code, name[0]

    @property
    def child_length(self) -> int:
        """Length of the codes one level below the area (a grid is its own finest level)."""
        return min((n for n in LEVELS if n > len(self.area_code)), default=len(self.area_code))

    def sql(self, text: str, **params) -> pd.DataFrame:
        """Run one SELECT on the views. Binds $scope, $start, $end where the SQL uses them, and
        every keyword given (a keyword the SQL does not use is an error, as in DuckDB)."""
        statements = self._con.extract_statements(text)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise PermissionError("笔记本只能执行单条 SELECT 查询")
        self._check(text)
        builtin = {"scope": self.area_code, "start": self.start, "end": self.end}
        if clash := builtin.keys() & params.keys():
            raise TypeError(f"参数 {sorted(clash)} 由打开时的区域和时段决定")
        used = statements[0].named_parameters
        bound = {**{k: v for k, v in builtin.items() if k in used}, **params}
        return self._con.execute(text, bound).df()

    def _check(self, text: str) -> None:
        """Refuse SQL that reads anything but the views (or its own CTEs), from its parse tree."""
        tree = json.loads(self._con.execute("SELECT json_serialize_sql($q::VARCHAR)",
                                            {"q": text}).fetchone()[0])
        if tree.get("error"):
            raise PermissionError(f"无法检查的查询: {tree.get('error_message')}")
        ctes, bare, refused = set(), set(), set()
        for node in _nodes(tree):
            ctes.update(k["key"].lower() for k in node.get("cte_map", {}).get("map", []))
            if node.get("type") == "BASE_TABLE":
                qualified = (node["catalog_name"], node["schema_name"], node["table_name"].lower())
                if any(qualified[:2]):          # never a CTE, whatever a quoted CTE name spells
                    refused.add(".".join(filter(None, qualified)))
                elif qualified[-1] not in self.views:
                    bare.add(qualified[-1])     # a CTE's name: checked below
            elif node.get("type") == "TABLE_FUNCTION":
                function = node["function"].get("function_name", "").lower()
                if function not in TABLE_FUNCTIONS:
                    refused.add(function + "()")
        # the query's own CTEs may be read by a bare name, unless one stands in for a hidden table's
        refused |= (bare - ctes) | (ctes & self._hidden)
        if refused:
            raise PermissionError(f"笔记本不能读取 {sorted(refused)}；可用的表: {sorted(self.views)}")

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "AreaWarehouse":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def __repr__(self) -> str:
        area = f"{LEVELS[len(self.area_code)]} {self.area_name}（{self.area_code}）"
        return (f"数据版本 {self.generation}（数据截至 {self.as_of:%Y-%m-%d %H:%M}）· {area} · "
                f"{self.start} 至 {self.end}")


def year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February → 28 February)."""
    return (pd.Timestamp(day) - pd.DateOffset(years=1)).date()


def record(numbers: dict) -> dict:
    """Show a notebook's key numbers and leave them machine-readable in its output (one display
    of NUMBERS_MIME, read by tests/notebooks and by anyone running it with papermill)."""
    from IPython.display import display
    plain = json.loads(json.dumps(numbers, ensure_ascii=False, allow_nan=False, default=_plain))
    # what a person reads: rates and medians to one decimal (93.2, not 93.22185727082712);
    # the machine-readable copy keeps every digit
    shown = json.dumps(_rounded(plain), ensure_ascii=False, indent=1)
    display({NUMBERS_MIME: plain, "text/plain": shown}, raw=True)
    return plain


def _rounded(value):
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _plain(value):
    if hasattr(value, "item"):                      # numpy scalars
        return value.item()
    if isinstance(value, dt.date):                  # datetime and pandas' Timestamp too
        return value.isoformat()
    raise TypeError(f"not a JSON value: {value!r}")


def _date(value) -> dt.date | None:
    return None if value in (None, "") else pd.Timestamp(value).date()


def _nodes(tree):
    """Every JSON object in a parse tree."""
    if isinstance(tree, dict):
        yield tree
        tree = list(tree.values())
    if isinstance(tree, list):
        for child in tree:
            yield from _nodes(child)
