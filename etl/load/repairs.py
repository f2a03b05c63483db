"""Repair what is unambiguous, and say so. Applied to the cells as read, before any check, by
the column's kind (etl/contract KINDS), in this order:

| repair              | kinds                           | what                                        |
| ------------------- | ------------------------------- | ------------------------------------------- |
| control_characters  | all                             | NUL and other control characters removed (line breaks kept in free text) |
| whitespace          | all                             | leading/trailing tab and Unicode spaces (Zs: U+0020, U+00A0, U+2000–U+200A, U+3000, …) removed |
| fullwidth_digits    | all but free text (`text`)      | ０-９ written as 0-9                         |
| number_format       | id_number, phone                | separators, +86 / 0086 removed              |
| lowercase_x         | id_number                       | check character x written X                 |
| excel_date_serial   | date                            | five digits = days since 1899-12-30 (Excel's serial) |
| date_format         | date                            | another unambiguous form (`2026/8/25`, `2026年8月25日`, `20260825`) |
| timestamp_format    | timestamp                       | another unambiguous form (`2026-8-25 5:15 PM`, `下午5:15`, ISO `T`, `+08:00`) |

Every repaired cell is recorded in `repairs` (file, line, column, repair, value before and after,
shown as etl/privacy/pseudonymise.py shows any value: personal kinds masked, everything else scrubbed of ID
and mobile numbers). Nothing else is changed: whatever is still wrong is the checks' business.
Identifiers in the SQL come from the contract, never from the data."""
from __future__ import annotations

import unicodedata

from etl.contract import SourceFile
from etl.load.values import ID_NUMBER, PHONE, canonical_sql
from etl.privacy.pseudonymise import shown_sql

# tab and every Unicode space separator (category Zs: U+0020, U+00A0, U+1680, U+2000–U+200A, U+202F,
# U+205F, U+3000), which is what DuckDB's trim() removes: the staging models cast cells as they
# are, so no cell may keep one at an edge
WHITESPACE = "\t" + "".join(c for c in map(chr, range(0x3001)) if unicodedata.category(c) == "Zs")
FULLWIDTH, ASCII_DIGITS = "０１２３４５６７８９", "0123456789"
# control characters: C0 and DEL; free text keeps its line breaks, and a tab is whitespace (trimmed
# at either end)
CONTROL = "[\\x00-\\x08\\x0a-\\x1f\\x7f]"
TEXT_CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
# the reader (etl/load/extract.py) reads every line holding a control character in Python: only the
# records it lists there can hold one
CONTROL_LINES = "memory.control_lines"


def _steps(spec: SourceFile) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per column: (repair, SQL detecting it on the value so far, SQL of the value after it, SQL
    detecting it on the cell as read). A cell needs some repair exactly when one of them detects
    it on the cell as read (the first repair that changes a cell sees it as read), so finding the
    cells to repair takes one cheap pass (needs_repair_sql); the chain of repairs runs on those
    cells only."""
    out = {}
    for c in spec.columns:
        v, steps = c.name, []

        def step(name, detect, after):
            nonlocal v
            steps.append((name, detect(v), after(v), detect(c.name)))
            v = after(v)
        control = TEXT_CONTROL if c.text else CONTROL
        step("control_characters",
             lambda x: f"line IN (SELECT line FROM {CONTROL_LINES}) AND regexp_matches({x}, '{control}')",
             lambda x: f"regexp_replace({x}, '{control}', '', 'g')")
        step("whitespace", lambda x: f"{x} <> trim({x}, '{WHITESPACE}')", lambda x: f"trim({x}, '{WHITESPACE}')")
        if not c.text:
            step("fullwidth_digits", lambda x: f"regexp_matches({x}, '[{FULLWIDTH}]')",
                 lambda x: f"translate({x}, '{FULLWIDTH}', '{ASCII_DIGITS}')")
        if c.kind in ("id_number", "phone"):
            canonical = ID_NUMBER.replace("X]", "Xx]") if c.kind == "id_number" else PHONE

            def odd(x):
                return f"{x} <> '' AND NOT regexp_full_match({x}, '{canonical}')"
            step("number_format", lambda x: f"CASE WHEN {odd(x)} THEN etl_number({x}) IS NOT NULL ELSE false END",
                 lambda x: f"CASE WHEN {odd(x)} THEN coalesce(etl_number({x}), {x}) ELSE {x} END")
        if c.kind == "id_number":
            step("lowercase_x", lambda x: f"right({x}, 1) = 'x'",
                 lambda x: f"CASE WHEN right({x}, 1) = 'x' THEN left({x}, -1) || 'X' ELSE {x} END")
        if c.kind == "date":
            step("excel_date_serial", lambda x: f"length({x}) = 5 AND regexp_full_match({x}, '[0-9]{{5}}')",
                 lambda x: f"CASE WHEN length({x}) = 5 AND regexp_full_match({x}, '[0-9]{{5}}') THEN "
                           f"strftime(DATE '1899-12-30' + CAST({x} AS INTEGER), '%Y-%m-%d') ELSE {x} END")
        for kind, name, fn in (("date", "date_format", "etl_date"),
                               ("timestamp", "timestamp_format", "etl_timestamp")):
            if c.kind == kind:
                def odd(x, kind=kind):
                    return f"{x} <> '' AND NOT {canonical_sql(kind, x)}"
                # a CASE, which DuckDB evaluates lazily: the Python call for odd values only
                step(name, lambda x, odd=odd, fn=fn: f"CASE WHEN {odd(x)} THEN {fn}({x}) IS NOT NULL ELSE false END",
                     lambda x, odd=odd, fn=fn: f"CASE WHEN {odd(x)} THEN coalesce({fn}({x}), {x}) ELSE {x} END")
        out[c.name] = steps
    return out


# found on the row's cells joined, each after a mark of its kind (free text U+001E, the rest
# U+001F), by one regular expression: whitespace at a cell's edge, a full-width digit in a cell
# not of free text. Per column, the two tests cost 31 s of a city's events, joined 11 s. The
# marks cannot be in a cell: a line holding a control character is a control line.
_JOINED_REPAIRS = ("whitespace", "fullwidth_digits")
_EDGES_OR_DIGITS = (f"[\\x1e\\x1f][{WHITESPACE}]|[{WHITESPACE}]([\\x1e\\x1f]|$)"
                    f"|\\x1f[^\\x1e\\x1f]*[{FULLWIDTH[0]}-{FULLWIDTH[-1]}]")


def needs_repair_sql(spec: SourceFile, steps=None, edge_rows: str | None = None) -> str:
    """SQL, true for a row (of VARCHAR cells and `line`) with some cell that a repair changes;
    `edge_rows`: a table of the only rows that can need the whitespace or full-width digit repair."""
    steps = steps or _steps(spec)
    joined = "concat(" + ", ".join(f"chr({30 if c.text else 31}), {c.name}" for c in spec.columns) + ")"
    edges = f"regexp_matches({joined}, '{_EDGES_OR_DIGITS}')"
    if edge_rows:        # a table of its own: the pattern is not pushed down to every row's scan
        edges = f"line IN (SELECT line FROM {edge_rows} WHERE {edges})"
    return " OR ".join([f"line IN (SELECT line FROM {CONTROL_LINES})", edges] + [
        f"coalesce({as_read}, false)" for col in steps.values()
        for name, _, _, as_read in col if name not in ("control_characters", *_JOINED_REPAIRS)])


def repair(con, spec: SourceFile, table: str, run_id: str, label: str | None = None,
           control_lines: list[int] = (), edge_rows: str | None = None) -> int:
    """Repair `table` (VARCHAR cells named as the contract's columns, plus `line`) in place and
    append the record of every repaired cell to wh.ops.repairs, under file name `label` (default the
    contract's). `control_lines`: the lines the reader read in Python (the only ones that can
    hold control characters); `edge_rows`: a table of the only rows besides those where a cell
    may need the whitespace or full-width digit repair (TextFile.edge_rows: the reader finds them
    in the bytes; testing every row's cells took 11 s of a city's 10 M events, finding none),
    None for every row. Returns the number of rows repaired."""
    con.execute(f"CREATE OR REPLACE TABLE {CONTROL_LINES} AS SELECT unnest(?::BIGINT[]) AS line",
                [list(control_lines)])
    steps = _steps(spec)
    # the lines first: a scan of the columns the tests read (and of none but `line` and the dates,
    # given edge_rows), not of every cell of every row (a city's events, spilled to disk: 4 s)
    con.execute(f"CREATE OR REPLACE TEMP TABLE repair_lines AS SELECT line FROM {table} "
                f"WHERE {needs_repair_sql(spec, steps, edge_rows)}")
    if edge_rows is not None:
        con.execute(f"DROP TABLE {edge_rows}")
    n = con.execute("SELECT count(*) FROM repair_lines").fetchall()[0][0]
    if n == 0:
        con.execute("DROP TABLE repair_lines")
        return 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE to_repair AS SELECT * FROM {table} "
                "WHERE line IN (SELECT line FROM repair_lines)")
    con.execute("DROP TABLE repair_lines")
    kinds = {c.name: c for c in spec.columns}
    detail = []
    for column, col_steps in steps.items():
        before = column
        for name, detect, after, _ in col_steps:
            detail.append(f"SELECT line, '{column}', '{name}', {shown_sql(kinds[column], before)}, "
                          f"{shown_sql(kinds[column], after)} FROM to_repair WHERE coalesce({detect}, false)")
            before = after
    con.execute(f"INSERT INTO wh.ops.repairs SELECT ?, ?, * FROM ({' UNION ALL '.join(detail)})",
                [run_id, label or spec.file])
    columns = ", ".join(f"{col[-1][2]} AS {name}" for name, col in steps.items())
    con.execute(f"""CREATE OR REPLACE TABLE {table} AS
                    SELECT line, {columns} FROM {table} WHERE line IN (SELECT line FROM to_repair)
                    UNION ALL SELECT * FROM {table} WHERE line NOT IN (SELECT line FROM to_repair)""")
    con.execute("DROP TABLE to_repair")
    return n
