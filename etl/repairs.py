"""Repair what is unambiguous, and say so. Applied to the cells as read, before any check:

| repair              | columns                          | what                                   |
| ------------------- | -------------------------------- | -------------------------------------- |
| whitespace          | all                              | leading/trailing space, tab, U+00A0, U+3000 removed |
| fullwidth_digits    | all but free text (`text`)       | ０-９ written as 0-9                     |
| excel_date_serial   | DATE                             | five digits = days since 1899-12-30 (Excel's serial) |
| lowercase_x         | id_number                        | check character x written X            |

Every repaired cell is recorded in `repairs` (file, line, column, repair, value before and after;
personal data withheld). Nothing else is changed: whatever is still wrong is the checks' business.
Identifiers in the SQL come from the contract, never from the data."""
from __future__ import annotations

from etl.contract import SourceFile

WHITESPACE = " \t\u00a0\u3000"
FULLWIDTH, ASCII_DIGITS = "０１２３４５６７８９", "0123456789"
WITHHELD = "[个人信息，已屏蔽]"


def _steps(spec: SourceFile) -> dict[str, list[tuple[str, str, str]]]:
    """Per column: (repair, SQL detecting it on the value so far, SQL of the value after it)."""
    out = {}
    for c in spec.columns:
        v, steps = c.name, []
        after = f"trim({v}, '{WHITESPACE}')"
        steps.append(("whitespace", f"{v} <> {after}", after))
        v = after
        if not c.text:
            after = f"translate({v}, '{FULLWIDTH}', '{ASCII_DIGITS}')"
            steps.append(("fullwidth_digits", f"regexp_matches({v}, '[{FULLWIDTH}]')", after))
            v = after
        if c.type == "DATE":
            after = (f"CASE WHEN regexp_full_match({v}, '[0-9]{{5}}') THEN strftime(DATE '1899-12-30' "
                     f"+ CAST({v} AS INTEGER), '%Y-%m-%d') ELSE {v} END")
            steps.append(("excel_date_serial", f"regexp_full_match({v}, '[0-9]{{5}}')", after))
            v = after
        if c.name == "id_number":
            after = f"CASE WHEN right({v}, 1) = 'x' THEN left({v}, -1) || 'X' ELSE {v} END"
            steps.append(("lowercase_x", f"right({v}, 1) = 'x'", after))
            v = after
        out[c.name] = steps
    return out


def repair(con, spec: SourceFile, table: str, run_id: str, label: str | None = None) -> int:
    """Repair `table` (VARCHAR cells named as the contract's columns, plus `line`) in place and
    append the record of every repaired cell to wh.repairs, under file name `label` (default the
    contract's). Returns the number of rows repaired."""
    steps = _steps(spec)
    any_change = " OR ".join(f"coalesce({detect}, false)" for col in steps.values()
                             for _, detect, _ in col)
    con.execute(f"CREATE OR REPLACE TEMP TABLE to_repair AS SELECT * FROM {table} WHERE {any_change}")
    n = con.execute("SELECT count(*) FROM to_repair").fetchall()[0][0]
    if n == 0:
        return 0
    personal = {c.name for c in spec.columns if c.personal}
    detail = []
    for column, col_steps in steps.items():
        final = col_steps[-1][2]
        shown = (lambda sql: f"'{WITHHELD}'") if column in personal else (lambda sql: sql)
        for name, detect, _ in col_steps:
            detail.append(f"SELECT line, '{column}', '{name}', {shown(column)}, {shown(final)} "
                          f"FROM to_repair WHERE coalesce({detect}, false)")
    con.execute(f"INSERT INTO wh.repairs SELECT ?, ?, * FROM ({' UNION ALL '.join(detail)})",
                [run_id, label or spec.file])
    columns = ", ".join(f"{col[-1][2]} AS {name}" for name, col in steps.items())
    con.execute(f"""CREATE OR REPLACE TABLE {table} AS
                    SELECT line, {columns} FROM {table} WHERE line IN (SELECT line FROM to_repair)
                    UNION ALL SELECT * FROM {table} WHERE line NOT IN (SELECT line FROM to_repair)
                    ORDER BY line""")
    con.execute("DROP TABLE to_repair")
    return n
