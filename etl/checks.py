"""The contract's row rules as SQL conditions. A row failing any rule goes to quarantine with one
record per failure (line, column, rule, raw value); the rest load.

Two passes: one scan finds the lines failing anything (usually few), then each rule is evaluated
on those lines only to say what failed. Identifiers come from the contract, never from the data,
so composing them into SQL is safe; values are never spliced in."""
from __future__ import annotations

from dataclasses import dataclass

from etl.contract import SourceFile, references
from etl.points import TABLE as POINT_PROBLEMS

LIFECYCLE = ("accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
# source times are local (UTC+8) and naive
NOW_LOCAL = "(now() AT TIME ZONE 'Asia/Shanghai')"


@dataclass(frozen=True)
class Rule:
    column: str
    name: str
    fails: str      # SQL condition, true when the row breaks the rule
    raw: str        # SQL expression for the value to show (masked for personal data)


def stored_column(spec_col) -> str:
    """Personal columns arrive masked, the birth date checked under its own name
    (etl/sql/privacy/pseudonymise_persons.sql)."""
    if spec_col.personal:
        return f"{spec_col.name}_masked"
    return "birth_date_checked" if spec_col.name == "birth_date" else spec_col.name


def has_points(spec: SourceFile) -> bool:
    names = {c.name for c in spec.columns}
    return {"lon", "lat", "grid_code"} <= names


def rules_for(spec: SourceFile) -> list[Rule]:
    rules = []
    for c in spec.columns:
        col = stored_column(c)
        if c.required:
            rules.append(Rule(c.name, "required", f"trim({col}) = ''", col))
        if c.type != "VARCHAR":
            rules.append(Rule(c.name, f"type_{c.type.lower()}",
                              f"trim({col}) <> '' AND TRY_CAST(trim({col}) AS {c.type}) IS NULL", col))
    rules.append(Rule(spec.key, "duplicate_key", f"key_rank > 1 AND trim({spec.key}) <> ''", spec.key))
    names = {c.name for c in spec.columns}
    if "grid_code" in names:
        rules.append(Rule("grid_code", "unknown_grid",
                          "trim(grid_code) <> '' AND trim(grid_code) NOT IN "
                          "(SELECT code FROM wh.areas WHERE level = 'grid')", "grid_code"))
    for ref in references(spec):      # an empty optional reference is `required`'s business
        keys = f"SELECT {ref.key} FROM wh.{ref.table}" + (f" WHERE {ref.where}" if ref.where else "")
        rules.append(Rule(ref.column, f"unknown_{ref.noun}",
                          f"trim({ref.column}) <> '' AND trim({ref.column}) NOT IN ({keys})", ref.column))
    if "lon" in names:
        rules.append(Rule("lon/lat", "outside_china",
                          "NOT coalesce(TRY_CAST(lon AS DOUBLE) BETWEEN 73 AND 136 "
                          "AND TRY_CAST(lat AS DOUBLE) BETWEEN 3 AND 54, false)", "lon || ',' || lat"))
    if has_points(spec):        # etl/points.py fills the table first
        for rule, raw in (("outside_grid", "lon || ',' || lat"), ("grid_not_in_force", "grid_code")):
            rules.append(Rule("lon/lat" if rule == "outside_grid" else "grid_code", rule,
                              f"line IN (SELECT line FROM {POINT_PROBLEMS} WHERE rule = '{rule}')", raw))
    if spec.table == "persons":
        rules.append(Rule("id_number", "id_number", "id_problem <> '' AND trim(id_number_masked) <> ''",
                          "id_number_masked"))
        rules.append(Rule("phone", "phone_format", "phone_problem <> ''", "phone_masked"))
    if spec.table == "events":
        rules.append(Rule("subclass_code", "unknown_category",
                          "trim(subclass_code) NOT IN (SELECT subclass_code FROM wh.event_categories)",
                          "subclass_code"))
        # each workflow stage after every earlier one that happened (greatest skips NULLs)
        stages = ("reported_at",) + LIFECYCLE
        for k, later in enumerate(LIFECYCLE, start=1):
            before = ", ".join(f"TRY_CAST({s} AS TIMESTAMP)" for s in stages[:k])
            rules.append(Rule(later, "stage_order",
                              f"TRY_CAST({later} AS TIMESTAMP) < greatest({before})", later))
        # nothing can have happened after the build: a typo in the future would move "as of"
        for ts in ("reported_at",) + LIFECYCLE:
            rules.append(Rule(ts, "in_future", f"TRY_CAST({ts} AS TIMESTAMP) > {NOW_LOCAL}", ts))
    return rules


def failures_sql(spec: SourceFile, raw: str) -> tuple[str, str]:
    """(SQL for the table of suspect rows, SQL listing every failure among them)."""
    rules = rules_for(spec)
    ranked = (f"(SELECT *, row_number() OVER (PARTITION BY trim({spec.key}) ORDER BY line) AS key_rank "
              f"FROM {raw})")
    suspects = f"SELECT * FROM {ranked} WHERE " + " OR ".join(f"coalesce({r.fails}, false)" for r in rules)
    detail = " UNION ALL ".join(
        f"SELECT line, '{r.column}' AS column_name, "
        + (f"id_problem" if r.name == "id_number" else f"'{r.name}'")
        + f" AS rule, {r.raw} AS raw_value FROM suspects WHERE coalesce({r.fails}, false)"
        for r in rules)
    return suspects, detail

