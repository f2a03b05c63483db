"""The contract's row rules as SQL conditions. A row failing any rule goes to quarantine with one
record per failure (line, column, rule, value as etl/privacy/pseudonymise.py shows it); the rest load.

A column's rules come from its kind (etl/contract KINDS): every file with an ID number, a phone,
a code or a timestamp gets that kind's rules. A few rules belong to one file's meaning (an
event's workflow order, its category in the taxonomy) and say so below.

Two passes: one scan finds the lines failing anything (usually few), then each rule is evaluated
on those lines only to say what failed. The scan casts each typed cell once (`<column>__typed`,
which the rules read: at ten million rows each cast costs a third of a second, and the rules name
a timestamp up to seven times), and ranks only the lines whose key repeats (a window over every
column of every row cost as much as all the rules together). Identifiers come from the contract, never from the data,
so composing them into SQL is safe; values are never spliced in."""
from __future__ import annotations

from dataclasses import dataclass

from etl.contract import SourceFile, enumeration, references
from etl.load.points import TABLE as POINT_PROBLEMS
from etl.load.values import canonical_sql, scrubbed_sql as scrubbed
from etl.privacy.pseudonymise import shown_sql
from warehouse.personal import candidate_sql

LIFECYCLE = ("accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")
# source times are local (UTC+8) and naive
NOW_LOCAL = "(now() AT TIME ZONE 'Asia/Shanghai')"
# the rule a value of a typed kind fails out of its canonical form (etl/values.canonical_sql), and
# the warehouse type it must then cast to
TYPED = {"timestamp": ("TIMESTAMP", "type_timestamp"), "date": ("DATE", "type_date"),
         "integer": ("INTEGER", "type_integer"), "decimal": ("DOUBLE", "type_double")}


def typed(column: str) -> str:
    """The column holding a typed cell cast to its warehouse type (NULL if it does not cast)."""
    return f"{column}__typed"


@dataclass(frozen=True)
class Rule:
    column: str
    name: str
    fails: str      # SQL condition, true when the row breaks the rule
    raw: str        # SQL expression for the value to show (masked for personal data)


def stored_column(spec_col) -> str:
    """Personal columns arrive masked (etl/privacy/pseudonymise.py masking_sql)."""
    return f"{spec_col.name}_masked" if spec_col.personal else spec_col.name


def has_points(spec: SourceFile) -> bool:
    names = {c.name for c in spec.columns}
    return {"lon", "lat", "grid_code"} <= names


def _kind_rules(c) -> list[Rule]:
    """The rules of column `c`'s kind."""
    v, shown = c.name, shown_sql(c, c.name)
    present = f"{v} <> ''"
    if c.kind in TYPED:
        sql_type, name = TYPED[c.kind]
        cast = typed(v)
        shape = canonical_sql(c.kind, v, cast if c.kind in ("timestamp", "date") else None)
        out = [Rule(v, name, f"{present} AND (NOT {shape} OR {cast} IS NULL)", shown)]
        if c.past:   # nothing can have happened after the build: a typo in the future would move "as of"
            out.append(Rule(v, "in_future", f"{cast} > {NOW_LOCAL}", shown))
        return out
    if c.kind in ("code", "area_code"):
        return [Rule(v, "code_format", f"{present} AND NOT regexp_full_match({v}, '[0-9]{{{c.digits}}}')", shown)]
    if c.kind == "credit_code":
        return [Rule(v, "credit_code", f"{present} AND NOT etl_credit_code({v})", shown)]
    if c.kind == "enum":
        values, several = enumeration(c.rule)
        allowed = "[" + ", ".join("'" + x.replace("'", "''") + "'" for x in sorted(values)) + "]"
        test = (f"NOT list_has_all({allowed}, string_split({v}, '、'))" if several
                else f"NOT list_contains({allowed}, {v})")
        return [Rule(v, "not_in_list", f"{present} AND {test}", shown)]
    if c.kind == "identifier":
        # a CASE, which DuckDB evaluates lazily: the Python call for candidates only (AND is not lazy)
        return [Rule(v, "personal_in_key", f"CASE WHEN {candidate_sql(v)} THEN etl_scrub({v}) <> {v} ELSE false END",
                     shown)]
    if c.kind == "id_number":     # the verdict on the clear value (etl/privacy/pseudonymise.py)
        return [Rule(v, f"{v}_problem", f"{v}_problem <> ''", f"{v}_masked")]
    if c.kind == "phone":
        return [Rule(v, "phone_format", f"{v}_problem <> ''", f"{v}_masked")]
    return []


def rules_for(spec: SourceFile) -> list[Rule]:
    rules = []
    for c in spec.columns:
        col = stored_column(c)
        if c.required:
            rules.append(Rule(c.name, "required", f"{col} = ''", "''"))
        rules += _kind_rules(c)
    rules.append(Rule(spec.key, "duplicate_key", f"key_rank > 1 AND {spec.key} <> ''", scrubbed(spec.key)))
    names = {c.name for c in spec.columns}
    if "grid_code" in names:
        rules.append(Rule("grid_code", "unknown_grid",
                          "grid_code <> '' AND grid_code NOT IN "
                          "(SELECT code FROM wh.core.areas WHERE level = 'grid')", scrubbed("grid_code")))
    for ref in references(spec):      # an empty optional reference is `required`'s business
        keys = f"SELECT {ref.key} FROM wh.core.{ref.table}" + (f" WHERE {ref.where}" if ref.where else "")
        rules.append(Rule(ref.column, f"unknown_{ref.noun}",
                          f"{ref.column} <> '' AND {ref.column} NOT IN ({keys})", scrubbed(ref.column)))
    if "lon" in names:
        rules.append(Rule("lon/lat", "outside_china",
                          "NOT coalesce(TRY_CAST(lon AS DOUBLE) BETWEEN 73 AND 136 "
                          "AND TRY_CAST(lat AS DOUBLE) BETWEEN 3 AND 54, false)",
                          scrubbed("lon || ',' || lat")))
    if has_points(spec):        # etl/load/points.py fills the table first
        for rule, raw in (("outside_grid", "lon || ',' || lat"), ("grid_not_in_force", "grid_code")):
            rules.append(Rule("lon/lat" if rule == "outside_grid" else "grid_code", rule,
                              f"line IN (SELECT line FROM {POINT_PROBLEMS} WHERE rule = '{rule}')", raw))
    if spec.table == "events":
        # the events' own meaning: a category of the taxonomy, workflow stages in order
        rules.append(Rule("subclass_code", "unknown_category",
                          "subclass_code NOT IN (SELECT subclass_code FROM wh.core.event_categories)",
                          scrubbed("subclass_code")))
        stages = ("reported_at",) + LIFECYCLE
        for k, later in enumerate(LIFECYCLE, start=1):
            before = ", ".join(typed(s) for s in stages[:k])
            rules.append(Rule(later, "stage_order", f"{typed(later)} < greatest({before})", later))
    return rules


def failures_sql(spec: SourceFile, raw: str) -> tuple[str, str]:
    """(SQL for the table of suspect rows, SQL listing every failure among them)."""
    rules = rules_for(spec)
    casts = "".join(f", TRY_CAST({c.name} AS {TYPED[c.kind][0]}) AS {typed(c.name)}"
                    for c in spec.columns if c.kind in TYPED)
    repeated = (f"SELECT line, key_rank FROM (SELECT line, row_number() OVER (PARTITION BY {spec.key} "
                f"ORDER BY line) AS key_rank FROM {raw}) WHERE key_rank > 1")
    ranked = (f"(SELECT r.*{casts}, coalesce(d.key_rank, 1) AS key_rank FROM {raw} r "
              f"LEFT JOIN ({repeated}) d ON r.line = d.line)")
    suspects = f"SELECT * FROM {ranked} WHERE " + " OR ".join(f"coalesce({r.fails}, false)" for r in rules)
    detail = " UNION ALL ".join(
        f"SELECT line, '{r.column}' AS column_name, "
        + (r.name if r.name.endswith("_problem") else f"'{r.name}'")
        + f" AS rule, {r.raw} AS raw_value FROM suspects WHERE coalesce({r.fails}, false)"
        for r in rules)
    return suspects, detail
