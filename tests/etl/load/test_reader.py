"""The reader over random files: random valid CSV files, then random mutations (quotes added or
dropped, line breaks changed or removed, blank lines, bytes that are not UTF-8, a truncated end,
a stray comma), in UTF-8, UTF-8 with BOM or GB18030. For every file: each physical line is part
of exactly one record, loaded or quarantined, in file order; rows_in = loaded + quarantined;
line numbers are physical lines; and every record the mutations did not touch loads exactly as
written, unless a broken record before it read it into itself (its lines are then inside that
record's span)."""
from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, example, given, settings, strategies as st

from etl.load.extract import load_csv

# field values: quotes, commas, line breaks inside fields, control characters, CJK, spaces
ALPHABET = st.sampled_from(list('ab甲乙丙１ ,"\n\r\t\x00\x07;') + ["𠀀", "é"])
VALUE = st.text(ALPHABET, max_size=6)


@st.composite
def valid_files(draw):
    """(header, records): each record = (values, its text with its line break)."""
    n = draw(st.integers(2, 5))
    header = [f"c{i}" for i in range(n)]
    records = []
    for values in draw(st.lists(st.lists(VALUE, min_size=n, max_size=n), max_size=12)):
        quote_all = draw(st.booleans())
        fields = ['"' + v.replace('"', '""') + '"' if quote_all or any(c in v for c in ',"\r\n') else v
                  for v in values]
        records.append((values, ",".join(fields) + draw(st.sampled_from(["\n", "\r\n"]))))
    return header, records


MUTATIONS = ("stray_quote", "drop_quote", "blank_line", "swap_line_break", "invalid_bytes",
             "truncate", "stray_comma", "join_lines")


def _mutate(draw, records):
    """Apply random mutations; returns [(values or None, text, touched)] (None: a line that was
    never a record, such as an inserted blank line) and the file's tail bytes to append raw."""
    recs = [[values, text, False] for values, text in records]
    tail = b""
    for kind in draw(st.lists(st.sampled_from(MUTATIONS), max_size=4)):
        if not recs:
            break
        k = draw(st.integers(0, len(recs) - 1))
        values, text, _ = recs[k]
        body = len(text.rstrip("\r\n"))               # positions before the record's line break
        if kind == "stray_quote":
            at = draw(st.integers(0, body))
            recs[k] = [values, text[:at] + '"' + text[at:], True]
        elif kind == "drop_quote" and '"' in text:
            at = draw(st.sampled_from([i for i, c in enumerate(text) if c == '"']))
            recs[k] = [values, text[:at] + text[at + 1:], True]
        elif kind == "blank_line":
            recs.insert(k, [None, draw(st.sampled_from(["\n", "\r\n"])), True])
        elif kind == "swap_line_break":
            # the record's own line break: CRLF and LF both end a record, so nothing changes
            body = text[:-2] if text.endswith("\r\n") else text[:-1]
            recs[k] = [values, body + ("\n" if text.endswith("\r\n") else "\r\n"), recs[k][2]]
        elif kind == "invalid_bytes":
            at = draw(st.integers(0, max(len(text) - 1, 0)))
            recs[k] = [values, text[:at] + "\udcff" + text[at:], True]      # written as byte 0xFF
        elif kind == "truncate":
            at = draw(st.integers(0, max(len(text) - 2, 0)))
            recs = recs[:k] + [[values, text[:at], True]]
        elif kind == "stray_comma":
            at = draw(st.integers(0, body))
            recs[k] = [values, text[:at] + "," + text[at:], True]
        elif kind == "join_lines" and k + 1 < len(recs):
            body = text[:-2] if text.endswith("\r\n") else text[:-1]
            recs[k] = [values, body, True]
            recs[k + 1][2] = True
    return recs, tail


def _layout(recs) -> tuple[list[tuple[int, int]], int]:
    """Each record's (first line, last line) in the file (header = 1; a record that lost its line
    break shares its last line with the next), and the number of lines after the header."""
    data = "".join(t for _, t, _ in recs)
    lines_in = data.count("\n") + (1 if data and not data.endswith("\n") else 0)
    out, line = [], 2
    for _, t, _ in recs:
        out.append((line, line + max(t.count("\n") - (1 if t.endswith("\n") else 0), 0)))
        line += t.count("\n")
    return out, lines_in


def _write(path, header, recs, encoding):
    text = ",".join(header) + "\n" + "".join(t for _, t, _ in recs)
    if encoding == "gb18030":
        data = text.encode("gb18030", errors="surrogateescape")
    else:
        data = (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + \
            text.encode("utf-8", errors="surrogateescape")
    path.write_bytes(data)


def _read(path, header):
    con = duckdb.connect()
    text, malformed = load_csv(con, path, {h: h for h in header}, "t")
    rows = {r[0]: list(r[1:]) for r in con.execute(
        f"SELECT line, {', '.join(header)} FROM t").fetchall()}
    return text, malformed, rows


def _check(header, recs, text, malformed, rows):
    layout, lines_in = _layout(recs)
    assert text.lines_in == lines_in
    assert text.rows_in == len(rows) + len(malformed)
    bad = {m.line: m for m in malformed}
    assert not set(bad) & set(rows)
    # every physical line in exactly one item, in order: item k spans from its line to the next's
    starts = sorted(set(rows) | set(bad))
    assert not starts or starts[0] == 2
    ends = starts[1:] + [lines_in + 2]
    for first, after in zip(starts, ends):
        span = after - first
        if first in bad:
            assert span == 1, (first, bad[first])
        else:       # a loaded record spans its own line breaks: one line more than it holds
            breaks = sum(v.count("\n") for v in rows[first])
            assert span == breaks + 1, (first, rows[first])
    # untouched records load as written, unless a record starting inside a touched one read
    # them in
    touched = [span for span, (_, _, t) in zip(layout, recs) if t]
    for (first, _), (values, t, was_touched) in zip(layout, recs):
        if values is None or was_touched:
            continue
        if first in rows:
            assert rows[first] == values, (first, rows[first], values)
        else:
            holder = max(s for s in starts if s <= first)
            assert holder in rows and holder < first, (first, values, holder)
            assert any(a <= holder <= b for a, b in touched), (first, holder, touched)


SETTINGS = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(valid_files(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), st.booleans())
def test_a_valid_file_loads_exactly(tmp_path, file, encoding, final_newline):
    header, records = file
    recs = [[v, t, False] for v, t in records]
    if recs and not final_newline:
        v, t, _ = recs[-1]
        recs[-1] = [v, t[:-2] if t.endswith("\r\n") else t[:-1], False]
    path = tmp_path / f"{encoding}.csv"
    _write(path, header, recs, encoding)
    text, malformed, rows = _read(path, header)
    assert malformed == []
    layout, _ = _layout(recs)
    assert rows == {first: values for (first, _), (values, _, _) in zip(layout, recs)}
    _check(header, recs, text, malformed, rows)


@SETTINGS
@given(valid_files(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), st.data())
def test_a_damaged_file_loses_no_line_and_no_untouched_row(tmp_path, file, encoding, data):
    header, records = file
    recs, _ = _mutate(data.draw, records)
    path = tmp_path / f"{encoding}.csv"
    _write(path, header, recs, encoding)
    text, malformed, rows = _read(path, header)
    _check(header, recs, text, malformed, rows)


# ---------------------------------------------------------------------------------------------
# Read and repaired: every loaded cell equals its source cell unless a repair is recorded for it

from etl.contract import Column, SourceFile  # noqa: E402
from etl.load.repairs import CONTROL_LINES, WHITESPACE, _steps, needs_repair_sql, repair  # noqa: E402
from etl.load.values import register  # noqa: E402

SPEC = SourceFile(table="t", file="t.csv", key="k", columns=(
    Column("k", "k", "VARCHAR", kind="identifier"), Column("txt", "txt", "VARCHAR", kind="text"),
    Column("s", "s", "VARCHAR"), Column("ts", "ts", "TIMESTAMP", kind="timestamp"),
    Column("d", "d", "DATE", kind="date"), Column("ph", "ph", "VARCHAR", kind="phone"),
    Column("idn", "idn", "VARCHAR", kind="id_number"), Column("n", "n", "INTEGER", kind="integer")))
NOISE = st.sampled_from(["", " ", "\u3000", "\t", "\u00a0", "\u2009", "\u202f", "\x00", "\x07"])
CELLS = {
    "k": st.from_regex(r"SJ[0-9]{4}", fullmatch=True),
    "txt": st.text(ALPHABET, max_size=8),
    "s": st.text(st.sampled_from(list("甲乙１２ab")), max_size=5),
    "ts": st.sampled_from(["2026-08-25 17:15:00", "2026-8-25 5:15 PM", "2026/08/25 下午5:15",
                           "2026年8月25日 17时15分", "3/4/2026 10:00", "2026-08-25T17:15:00+08:00", ""]),
    "d": st.sampled_from(["1980-01-01", "1980/1/1", "1980年1月1日", "29221", "19800101", "1/2/1980", ""]),
    "ph": st.sampled_from(["13912345678", "139-1234-5678", "+86 139 1234 5678", "１３９１２３４５６７８", "12345", ""]),
    "idn": st.sampled_from(["11010519491231002X", "11010519491231002x", "110105 19491231 002X", "2.20204E+17", ""]),
    "n": st.sampled_from(["1", "１", "1.5", " 2", ""]),
}


def _csv_cell(value: str, quoted: bool) -> str:
    """A cell as an export writes it: quoted if asked or if it must be."""
    if quoted or any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _read_rows(tmp_path, source: list[dict], quoted: list[bool], eol: str = "\n"):
    """The rows written as a CSV file (cells quoted as asked, lines ended by `eol`) and read:
    (connection, what was read, the row index of each first line)."""
    header = [c.name for c in SPEC.columns]
    text = ",".join(header) + eol + "".join(
        ",".join(_csv_cell(r[c], q) for c in header) + eol for r, q in zip(source, quoted))
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    first, line = {}, 2                        # a value's line breaks move the next row down
    for i, r in enumerate(source):
        first[line] = i
        line += 1 + sum(v.count("\n") for v in r.values())
    con = duckdb.connect()
    register(con)
    con.execute("ATTACH ':memory:' AS wh")
    con.execute("CREATE SCHEMA wh.ops")
    con.execute("CREATE TABLE wh.ops.repairs (run_id VARCHAR, file VARCHAR, line BIGINT, column_name VARCHAR, "
                "repair VARCHAR, raw_value VARCHAR, repaired_value VARCHAR)")
    read, malformed = load_csv(con, path, {h: h for h in header}, "t")
    assert malformed == [] and read.rows_in == len(source)
    return con, read, first


ROWS = st.lists(st.tuples(st.fixed_dictionaries({c: st.tuples(NOISE, v, NOISE) for c, v in CELLS.items()}),
                          st.booleans()), min_size=1, max_size=8)


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ROWS)
def test_a_loaded_cell_is_its_source_cell_unless_a_repair_says_otherwise(tmp_path, rows):
    header = [c.name for c in SPEC.columns]
    source = [{c: "".join(parts) for c, parts in row.items()} for row, _ in rows]
    con, read, first = _read_rows(tmp_path, source, [q for _, q in rows])
    repair(con, SPEC, "memory.t", "run", "t.csv", read.python_lines, read.edge_rows)
    repaired = {(line, column) for line, column in con.execute("SELECT line, column_name FROM wh.ops.repairs").fetchall()}
    got = con.execute(f"SELECT line, {', '.join(header)} FROM memory.t").fetchall()
    assert len(got) == len(source)
    for line, *values in got:
        for column, value in zip(header, values):
            assert value == value.strip(WHITESPACE), (column, value)   # staging casts cells as they are
            changed = value != source[first[line]][column]
            assert changed == ((line, column) in repaired), (line, column, source[first[line]][column], value)


CLEAN = {"k": "SJ0001", "txt": "甲乙", "s": "ab", "ts": "2026-08-25 17:15:00", "d": "1980-01-01",
         "ph": "13912345678", "idn": "11010519491231002X", "n": "1"}
# a clean row but for one cell (its value drawn as above, maybe something at either edge), its
# cells quoted or not: a row needing a repair among rows needing none
ONE_CELL = st.sampled_from(list(CELLS)).flatmap(lambda c: st.tuples(
    st.just(c), st.sampled_from(["", "", "", " ", "\t", "\u3000", "\u00a0", "\u2009", "１", "\x07"]), CELLS[c],
    st.sampled_from(["", "", "", " ", "\t", "\u3000", "\u00a0", "\u202f", "１", '"']), st.booleans()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ONE_CELL, min_size=1, max_size=10), st.sampled_from(["\n", "\r\n"]))
@example([("k", " ", "SJ0002", "", False)], "\n")            # a space at the first byte read
def test_the_reader_finds_every_row_that_may_need_an_edge_or_digit_repair(tmp_path, rows, eol):
    """The rows the reader lists for the whitespace and full-width digit repairs (found in the
    file's bytes, quoted cells or not, LF or CRLF) hold every row whose cells need one: the rows
    to repair are the same as when every row is tested."""
    source = [CLEAN | {c: before + value + after} for c, before, value, after, _ in rows]
    con, read, _ = _read_rows(tmp_path, source, [q for *_, q in rows], eol)
    con.execute(f"CREATE TABLE {CONTROL_LINES} AS SELECT unnest(?::BIGINT[]) AS line", [read.python_lines])
    every = con.execute(f"SELECT line FROM memory.t WHERE {needs_repair_sql(SPEC)} ORDER BY line").fetchall()
    assert read.edge_rows is not None
    listed = con.execute(f"SELECT line FROM memory.t WHERE {needs_repair_sql(SPEC, edge_rows=read.edge_rows)} "
                         "ORDER BY line").fetchall()
    assert listed == every
    # the listed rows' cells are those DuckDB read
    assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {read.edge_rows} EXCEPT SELECT * FROM memory.t)"
                       ).fetchone()[0] == 0


def test_a_space_ending_the_file_is_found(tmp_path):
    """The last line without a line break: its last cell's space is at the chunk's last byte."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\nx,y\nz,w ", encoding="utf-8")
    con = duckdb.connect()
    read, _ = load_csv(con, path, {"a": "a", "b": "b"}, "t")
    assert con.execute(f"SELECT line, b FROM {read.edge_rows}").fetchall() == [(3, "w ")]


def test_a_flagged_line_with_a_long_cell_is_split(tmp_path):
    """A free-text cell of any length on a listed line (no field size limit, as DuckDB's)."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2, " + "y" * 200_000 + "\n", encoding="utf-8")
    con = duckdb.connect()
    read, _ = load_csv(con, path, {"a": "a", "b": "b"}, "t")
    assert con.execute(f"SELECT line, length(b) FROM {read.edge_rows}").fetchall() == [(3, 200_001)]


EDGE = st.sampled_from(["", " ", "\u3000", "\t", "\u00a0", "\u2009", "１"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({c: st.tuples(EDGE, v, EDGE) for c, v in CELLS.items()}),
                min_size=1, max_size=8))
def test_the_rows_needing_a_repair_are_found_in_one_pass(rows):
    """The one-pass test of a row (its cells joined) selects exactly the rows where some repair
    detects its cell as read (repairs._steps), text or not, whitespace at either edge or not:
    each column's cells tried in rows whose other cells are empty (needing nothing), then whole rows."""
    header = [c.name for c in SPEC.columns]
    con = duckdb.connect()
    register(con)
    con.execute(f"CREATE TABLE {CONTROL_LINES} (line BIGINT)")
    per_cell = " OR ".join(f"coalesce({as_read}, false)" for col in _steps(SPEC).values()
                           for name, _, _, as_read in col if name != "control_characters")
    for only in [*header, None]:
        con.execute("CREATE OR REPLACE TABLE t (line BIGINT, " + ", ".join(f"{h} VARCHAR" for h in header) + ")")
        con.executemany(f"INSERT INTO t VALUES (?{', ?' * len(header)})",
                        [[i, *("".join(row[h]) if only in (h, None) else "" for h in header)]
                         for i, row in enumerate(rows)])
        expected = con.execute(f"SELECT line FROM t WHERE {per_cell} ORDER BY line").fetchall()
        found = con.execute(f"SELECT line FROM t WHERE {needs_repair_sql(SPEC)} ORDER BY line").fetchall()
        assert found == expected, only


def test_the_repairs_trim_whatever_duckdb_trims():
    """The staging models cast cells without trim(): every character DuckDB's trim() would
    remove at an edge is one the whitespace repair removes (and records) first."""
    con = duckdb.connect()
    trimmed = {c for (c,) in con.execute(
        "SELECT chr(i::INTEGER) FROM range(1, 65536) t(i) WHERE (i < 55296 OR i > 57343) "
        "AND trim('a' || chr(i::INTEGER)) <> 'a' || chr(i::INTEGER)").fetchall()}
    assert trimmed and trimmed <= set(WHITESPACE)
