"""The contract's row rules as SQL: each query yields (line, column, rule, raw value) for every
failure. A row with any failure goes to quarantine; the rest load. Identifiers come from the
contract, never from the data, so composing them into SQL is safe; values are never spliced in."""
from __future__ import annotations

from etl.contract import EVENTS, HOUSEHOLDS, PERSONS, SourceFile

LIFECYCLE = ("accepted_at", "dispatched_at", "handled_at", "verified_at", "closed_at")


def stored_column(spec_col) -> str:
    """Personal columns arrive masked (see etl.privacy)."""
    return f"{spec_col.name}_masked" if spec_col.personal else spec_col.name


def failure_queries(spec: SourceFile, raw: str) -> list[str]:
    q = []
    for c in spec.columns:
        col = stored_column(c)
        if c.required:
            q.append(f"SELECT line, '{c.name}', 'required', {col} FROM {raw} WHERE trim({col}) = ''")
        if c.type != "VARCHAR":
            q.append(f"SELECT line, '{c.name}', 'type_{c.type.lower()}', {col} FROM {raw} "
                     f"WHERE trim({col}) <> '' AND TRY_CAST(trim({col}) AS {c.type}) IS NULL")
    q.append(f"SELECT line, '{spec.key}', 'duplicate_key', {spec.key} FROM ("
             f"SELECT line, {spec.key}, row_number() OVER (PARTITION BY trim({spec.key}) ORDER BY line) rn "
             f"FROM {raw}) WHERE rn > 1 AND trim({spec.key}) <> ''")
    names = {c.name for c in spec.columns}
    if "grid_code" in names:
        q.append(f"SELECT line, 'grid_code', 'unknown_grid', grid_code FROM {raw} "
                 "WHERE trim(grid_code) <> '' AND trim(grid_code) NOT IN "
                 "(SELECT code FROM wh.areas WHERE level = 'grid')")
    if "lon" in names:
        q.append(f"SELECT line, 'lon/lat', 'outside_china', lon || ',' || lat FROM {raw} "
                 "WHERE NOT (TRY_CAST(lon AS DOUBLE) BETWEEN 73 AND 136 "
                 "AND TRY_CAST(lat AS DOUBLE) BETWEEN 3 AND 54)")
    if spec is PERSONS:
        q.append(f"SELECT line, 'id_number', id_problem, id_number_masked FROM {raw} "
                 "WHERE id_problem <> '' AND trim(id_number_masked) <> ''")
        q.append(f"SELECT line, 'household_id', 'unknown_household', household_id FROM {raw} "
                 "WHERE trim(household_id) NOT IN (SELECT household_id FROM wh.households)")
    if spec is EVENTS:
        q.append(f"SELECT line, 'subclass_code', 'unknown_category', subclass_code FROM {raw} "
                 "WHERE trim(subclass_code) NOT IN (SELECT subclass_code FROM wh.event_categories)")
        for ts in LIFECYCLE:
            q.append(f"SELECT line, '{ts}', 'before_reported', {ts} FROM {raw} "
                     f"WHERE TRY_CAST({ts} AS TIMESTAMP) < TRY_CAST(reported_at AS TIMESTAMP)")
    return q


# the order in which sources load: persons reference households
LOAD_ORDER = (HOUSEHOLDS, PERSONS, EVENTS)
