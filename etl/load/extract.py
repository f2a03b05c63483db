"""Read source files as text, whatever their encoding, into DuckDB, and account for every line.

Every cell arrives as VARCHAR (types are the checks' business). Row accounting is by physical
line (header = line 1): each line is part of exactly one record, and each record is either
loaded or quarantined, so `rows_in` (records) = loaded + quarantined and nothing is dropped.

How a file is split into records (RFC 4180: comma, double quotes, "" inside quotes), in order:
- a record starts on a line and ends where its last field ends; a quoted field may run over
  several lines (a line break inside 事件描述), up to MAX_LINES_IN_RECORD lines;
- where no record with the header's number of fields starts (a blank line, bytes that are not
  UTF-8, a quote that is never closed or stands inside a field, too few or too many fields),
  that one line is quarantined with why (`malformed_line:<reason>`: blank_line,
  invalid_encoding, unclosed_quote, bad_quote, too_few_fields, too_many_fields) and reading goes
  on at the next line. So an unclosed quote costs its own line, not the rows after it (unless
  they happen to close it into a well-formed record: then they are that record), and line
  numbers stay those of the file.

Speed: see _Lines. A clean export is classified in numpy and read by DuckDB's CSV reader in one
piece; only lines holding quotes, control characters or defects are read in Python."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from etl import cores
from etl.exitcodes import ExitCode, Failure
from etl.load.repairs import FULLWIDTH, WHITESPACE

CHUNK = 16 << 20
HEAD_BYTES = 4 << 20
MAX_LINES_IN_RECORD = 50     # a quoted field running longer is an unclosed quote
MAX_EDGE_LINES = 50_000      # see _Lines.edge_records
# bytes that make a line need reading in Python: C0 controls but tab, and DEL (a CR at the very
# end of a line is its CRLF and is dropped)
_CONTROL = np.zeros(256, bool)
_CONTROL[[*range(0, 9), *range(11, 32), 127]] = True
# what makes a line one where the whitespace or full-width digit repair may change a cell
# (etl/load/repairs.py tests only those lines): an ASCII space or tab next to a comma, a quote or
# a line's edge (where a cell starts or ends), or, anywhere, a non-ASCII space or full-width
# digit, found by its UTF-8 bytes (each 2 or 3 of them: codes of its first 3 bytes and first 2)
_ASCII_SPACES = sorted(ord(c) for c in WHITESPACE if ord(c) < 128)
_CELL_EDGE = np.zeros(256, bool)
_CELL_EDGE[[ord(","), ord('"'), ord("\n"), ord("\r")]] = True
_WIDE = [c.encode() for c in WHITESPACE + FULLWIDTH if ord(c) >= 128]
assert all(len(b) in (2, 3) for b in _WIDE)
_WIDE_LEADS = sorted({b[0] for b in _WIDE})
_WIDE_CODES = {n: np.array(sorted(int.from_bytes(b, "big") for b in _WIDE if len(b) == n), np.uint32)
               for n in (2, 3)}


class SourceError(Failure):
    """A source file cannot be read at all (missing, empty, undecodable, wrong headers)."""
    exit_code = ExitCode.SOURCE_ERROR


@dataclass
class TextFile:
    path: Path
    sha256: str
    encoding: str
    rows_in: int          # records: loaded + malformed
    lines_in: int = 0     # physical lines after the header (a record may span several)
    header: list[str] = field(default_factory=list)         # the file's column names, in order
    python_lines: list[int] = field(default_factory=list)   # records read in Python (see _Lines)
    # a table (memory.<table>__edges) of the rows read by DuckDB where a cell may start or end in
    # whitespace or hold a full-width digit (the rest of them need neither repair: etl/load/
    # repairs.py): those on the lines _maybe_repaired finds; None when there are too many
    edge_rows: str | None = None


@dataclass(frozen=True)
class Malformed:
    """A line that is no record: its number, why, its text (clear: the caller masks it) and its
    fields as far as they could be split (for masking them by column)."""
    line: int
    rule: str
    text: str
    fields: tuple[str, ...]


def sniff(path: Path) -> tuple[str, str]:
    """(sha256, encoding). "xlsx" for a workbook; for text, UTF-8 (with or without BOM) if the
    file's first megabytes decode so, else GB18030. A UTF-8 file with a few bad bytes further on
    is still UTF-8: those lines are quarantined as malformed_line:invalid_encoding."""
    digest = hashlib.sha256()
    head = b""
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            digest.update(chunk)
    if path.suffix.lower() == ".xlsx":
        return digest.hexdigest(), "xlsx"
    for encoding in ("utf-8", "gb18030"):
        if _decodes(head, encoding):
            return digest.hexdigest(), encoding
    # neither decodes all of it: the one with a few bad bytes (their lines are quarantined), or
    # none ("unknown": the file is refused)
    non_ascii = len(head) - len(head.translate(None, bytes(range(128))))
    errors = {e: head.decode(e, errors="replace").count("\ufffd") for e in ("utf-8", "gb18030")}
    if head.startswith(codecs.BOM_UTF8) and errors["utf-8"] <= max(16, non_ascii // 100):
        return digest.hexdigest(), "utf-8"     # a BOM decides a tie (a short file with a bad byte)
    best = min(errors, key=errors.get)
    return digest.hexdigest(), best if errors[best] <= max(16, non_ascii // 100) else "unknown"


def _decodes(head: bytes, encoding: str) -> bool:
    """`head` (the start of a file, which may end inside a character) decodes strictly."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _undecodable(path: Path, detail: str) -> SourceError:
    return SourceError(f"{path.name}: 无法识别编码, 应为 UTF-8 或 GB18030 ({detail})")


def _readable(path: Path, encoding: str, workdir: Path) -> tuple[Path, str]:
    """A UTF-8 file with LF or CRLF line ends holding `path`'s text, and the encoding to report.
    GB18030 is transcoded (its undecodable bytes kept as they are, so their lines are
    quarantined); old Mac files (CR only) get LF. A file in another encoding stops the run."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if not head:
        raise SourceError(f"{path.name}: 文件为空 (0 字节), 至少应有表头 (empty file: no header)")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head.split(b"\n", 1)[0]:
        raise _undecodable(path, "UTF-16/UTF-32")
    cr_only = b"\n" not in head and b"\r" in head
    if encoding == "utf-8" and not cr_only:
        return path, encoding
    if encoding == "unknown":
        raise _undecodable(path, "neither decodes its first megabytes")
    out = workdir / (path.stem + ".utf8.csv")
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as src, \
            open(out, "w", encoding="utf-8", errors="surrogateescape", newline="") as dst:
        while text := src.read(CHUNK):
            dst.write(text.replace("\r", "\n") if cr_only else text)
    return out, encoding + (" (CR)" if cr_only else "")


def _xlsx_as_csv(path: Path, workdir: Path) -> Path:
    """The first sheet of a workbook as a UTF-8 CSV of text cells: dates as YYYY-MM-DD (with the
    time when it is not midnight), whole numbers without ".0", empty cells empty; line k of the
    CSV is row k of the sheet, so quarantine line numbers are Excel's row numbers (a cell with a
    line break makes a multi-line record, read as one)."""
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:          # openpyxl raises several kinds for damaged files
        raise SourceError(f"{path.name}: 无法读取 Excel 文件 ({exc})") from None

    def text(v) -> str:
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%d") if v.time() == dt.time() else v.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    out = workdir / (path.stem + ".xlsx.csv")
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        blank = []        # empty rows inside the data keep their line; trailing ones are dropped
        for row in wb.worksheets[0].iter_rows(values_only=True):
            if all(v is None for v in row):
                blank.append([""] * len(row))
                continue
            writer.writerows(blank)
            blank = []
            writer.writerow([text(v) for v in row])
    wb.close()
    if out.stat().st_size == 0:
        raise SourceError(f"{path.name}: 工作表为空, 至少应有表头 (empty sheet: no header)")
    return out


# ---------------------------------------------------------------------------------------------
# Splitting records

_EOF = object()


def _eol(text: str) -> tuple[str, str]:
    """A line as (content, its line break: "\r\n", "\n" or "" for the file's last line)."""
    if text.endswith("\r\n"):
        return text[:-2], "\r\n"
    if text.endswith("\n"):
        return text[:-1], "\n"
    return text, ""


def parse_record(first: str, more=lambda: _EOF, max_lines: int = MAX_LINES_IN_RECORD
                 ) -> tuple[list[str] | None, int, str]:
    """RFC 4180 from the line `first` (its line break included): (fields, lines used, "") or
    (None, lines used, reason). A quoted field open at a line's end keeps the line break and
    continues on the next line, `more()` (its text, None if undecodable, _EOF at the end), for at
    most `max_lines` lines."""
    fields: list[str] = []
    field: list[str] = []
    state = "start"                  # start | plain | quoted | quote (a quote inside quotes)
    (text, eol), used, pos = _eol(first), 1, 0
    while True:
        if pos == len(text):
            if state != "quoted":
                fields.append("".join(field))
                return fields, used, ""
            nxt = more() if used < max_lines and eol else _EOF
            if nxt is _EOF or nxt is None:
                return None, used, "unclosed_quote"
            field.append(eol)
            (text, eol), used, pos = _eol(nxt), used + 1, 0
            continue
        ch = text[pos]
        pos += 1
        if state == "quoted":
            if ch == '"':
                state = "quote"
            else:
                field.append(ch)
        elif ch == ",":
            fields.append("".join(field))
            field, state = [], "start"
        elif ch == '"':
            if state == "start":
                state = "quoted"
            elif state == "quote":
                field.append('"')
                state = "quoted"
            else:
                return None, used, "bad_quote"
        elif state == "quote":
            return None, used, "bad_quote"
        else:
            field.append(ch)
            state = "plain"


def _line_problem(text: str | None, n_fields: int) -> str:
    """Why one line is no record by itself."""
    if text is None:
        return "invalid_encoding"
    if _eol(text)[0] == "":
        return "blank_line"
    fields, _, reason = parse_record(text)
    if fields is None:
        return reason
    return "too_few_fields" if len(fields) < n_fields else "too_many_fields"


def _split_loosely(text: str) -> tuple[str, ...]:
    """A malformed line's fields as far as commas outside quotes tell (for masking by column)."""
    fields, field, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
    return tuple(fields + ["".join(field)])


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _any_of(a: np.ndarray, values: list[int]) -> np.ndarray:
    """a == any of `values`, in place (a lookup table indexed by 16 MB of bytes cost 3× as much)."""
    hit = a == values[0]
    for v in values[1:]:
        hit |= a == v
    return hit


def _maybe_repaired(a: np.ndarray) -> np.ndarray:
    """Positions in `a` (whole lines of UTF-8) of what may make a cell need the whitespace or the
    full-width digit repair: an ASCII space or tab next to a comma, a quote or a line's edge (a
    cell starts after a comma, a quote or a line's start and ends before one of them or its end),
    and the first byte of any non-ASCII space or full-width digit."""
    ws = np.flatnonzero(_any_of(a, _ASCII_SPACES))
    before, after = a[np.maximum(ws - 1, 0)], a[np.minimum(ws + 1, len(a) - 1)]
    edge = ws[(ws == 0) | (ws == len(a) - 1) | _CELL_EDGE[before] | _CELL_EDGE[after]]
    lead = np.flatnonzero(_any_of(a, _WIDE_LEADS))
    def byte(at: np.ndarray) -> np.ndarray:          # 0 past the chunk's end (a cut sequence)
        return np.where(at < len(a), a[np.minimum(at, len(a) - 1)], 0).astype(np.uint32)
    three = (byte(lead) << 16) | (byte(lead + 1) << 8) | byte(lead + 2)
    wide = lead[np.isin(three, _WIDE_CODES[3]) | np.isin(three >> 8, _WIDE_CODES[2])]
    return np.concatenate([edge, wide])


def _valid_utf8(buf: bytes) -> bool:
    """Whether `buf` is UTF-8, as bytes.decode judges it, without making the text (Arrow's check
    of a string array over the bytes: 7 ms per 16 MB chunk, decoding 23 ms, half the scan)."""
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, pa.py_buffer(np.array([0, len(buf)], np.int64)),
                                                        pa.py_buffer(buf)])
    try:
        text.validate(full=True)
        return True
    except pa.ArrowInvalid:
        return False


_FIELD = '(?:[^",\\x00-\\x08\\x0a-\\x1f\\x7f]*+|"(?:[^"\\x00-\\x08\\x0a-\\x1f\\x7f]|"")*+")'     # possessive: no backtracking


class _Lines:
    """A file's data lines, read in three steps:

    1. classify every line in numpy, a chunk at a time: a "simple" line has no quote, no
       control character, the header's number of commas, and decodes (the only kind a clean
       export has); the others are listed with their byte offsets;
    2. read the records in order from each listed line, in Python (RFC 4180): a record may run
       over the lines after it, simple or not; a line where no record starts is malformed, and
       reading goes on at the next line;
    3. the records that fit on one line and need no Python (no control character) are left to
       DuckDB's reader: the file itself when that is all of them and its line ends are alike,
       else a copy holding just those lines."""

    def __init__(self, path: Path, data_start: int, n_fields: int, header_crlf: bool):
        self.path, self.data_start, self.n_fields = path, data_start, n_fields
        # a record of the header's fields on one line, quoted or not, without a control character
        # (tab aside): what parse_record reads as that, in C (a city's events list 0.3 M such
        # lines, mostly free text with commas: 9.5 s read character by character, 1.4 s so)
        self.one_line = re.compile(f"{_FIELD}(?:,{_FIELD}){{{n_fields - 1}}}")
        self.lines = 0
        self.crlf: set[bool] = {header_crlf}            # line ends seen: CRLF, LF
        self.listed: list[tuple[int, int]] = []         # (line, byte offset) of non-simple lines
        self.good = np.zeros(0, bool)                   # per line: read by DuckDB
        self.edges: list[tuple[int, int]] = []          # (line, byte offset) where _maybe_repaired finds some
        self.records: list[tuple[int, list[str]]] = []  # read in Python: (first line, fields)
        self.malformed: list[Malformed] = []

    def scan(self) -> None:
        """Step 1, on the cores there are (numpy leaves the GIL; a city's events took 15 s on one):
        the chunks are read here, classified on threads, taken back in order."""
        good = []
        for simple, edges, listed, n, crlf in cores.map_threads(lambda chunk: self._classify(*chunk), self._chunks()):
            self.listed += [(self.lines + 2 + k, offset) for k, offset in listed]
            if len(self.edges) <= MAX_EDGE_LINES:
                self.edges += [(self.lines + 2 + k, offset) for k, offset in edges]
            self.lines += n
            self.crlf.update(crlf)
            good.append(simple)
        self.good = np.concatenate(good) if good else np.zeros(0, bool)

    def _chunks(self):
        """(bytes, their offset in the file): the data lines a chunk at a time, whole lines each."""
        offset = self.data_start
        with open(self.path, "rb") as f:
            f.seek(offset)
            rest = b""
            while True:
                chunk = f.read(CHUNK)
                data = rest + chunk
                end = len(data) if not chunk else data.rfind(b"\n") + 1
                if end:
                    yield data[:end], offset
                    offset += end
                if not chunk:
                    break
                rest = data[end:]

    def _classify(self, buf: bytes, offset: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], int, set[bool]]:
        """(per line: simple; the lines where _maybe_repaired finds some and the others, each as
        (index in the chunk, byte offset); lines; line ends seen)."""
        a = np.frombuffer(buf, np.uint8)
        ends = np.flatnonzero(a == 10)
        if not len(ends) or ends[-1] != len(a) - 1:
            ends = np.append(ends, len(a))                  # the last line has no line break
        starts = np.concatenate([[0], ends[:-1] + 1])
        n = len(ends)
        has_cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)
        stop = ends - has_cr                                # end of the line's content
        # per line, its line break included (so no segment is empty): a sum over 16 MB in one pass
        commas = np.add.reduceat((a == 44).view(np.uint8), starts, dtype=np.int32)

        def per_line(positions: np.ndarray) -> np.ndarray:
            return np.bincount(np.searchsorted(starts, positions, side="right") - 1, minlength=n)
        low = np.flatnonzero(a < 32)                       # line breaks, tabs, CRs and the rare rest
        control = low[_CONTROL[a[low]]]
        control = control[~np.isin(control, ends[has_cr] - 1)]       # a CRLF's CR
        control = np.concatenate([control, np.flatnonzero(a == 127)])
        simple = ((per_line(np.flatnonzero(a == 34)) == 0) & (per_line(control) == 0)
                  & (commas == self.n_fields - 1) & (stop > starts))
        if not _valid_utf8(buf):
            for k in np.flatnonzero(simple):
                simple[k] = _decode(buf[starts[k]:stop[k]]) is not None
        crlf = set(np.unique(has_cr[:-1] if ends[-1] == len(a) else has_cr).tolist())
        edges = np.flatnonzero(per_line(_maybe_repaired(a)))[:MAX_EDGE_LINES + 1]
        return (simple, [(int(k), offset + int(starts[k])) for k in edges],
                [(int(k), offset + int(starts[k])) for k in np.flatnonzero(~simple)], n, crlf)

    def resolve(self) -> None:
        """Step 2: the records starting on listed lines, and the lines holding none."""
        if not self.listed:
            return
        with open(self.path, "rb") as f:
            free = 0                                        # the first line not yet read
            for line, offset in self.listed:
                if line < free:
                    continue                                # inside a record read before
                f.seek(offset)
                raw = f.readline()
                text = _decode(raw)
                if text is not None and (content := _eol(text)[0]) and self.one_line.fullmatch(content):
                    self.good[line - 2] = True              # quoted fields on one line: DuckDB's
                    free = line + 1
                    continue

                def more():
                    nxt = f.readline()
                    return _EOF if not nxt else _decode(nxt)
                fields, used, _ = (parse_record(text, more) if text is not None and _eol(text)[0]
                                   else (None, 1, ""))
                if fields is not None and len(fields) == self.n_fields:
                    self.good[line - 2: line - 2 + used] = False
                    if used == 1 and not _CONTROL[np.frombuffer(_eol(text)[0].encode(), np.uint8)].any():
                        self.good[line - 2] = True          # quoted fields on one line: DuckDB's
                    else:
                        self.records.append((line, fields))
                    free = line + used
                    continue
                shown = _eol(text if text is not None else raw.decode("utf-8", errors="replace"))[0]
                self.malformed.append(Malformed(line, f"malformed_line:{_line_problem(text, self.n_fields)}",
                                                shown, _split_loosely(shown)))
                self.good[line - 2] = False
                free = line + 1

    def edge_records(self, con, table: str, select: str) -> str | None:
        """Table memory.<table>__edges: the records DuckDB read on the lines where
        _maybe_repaired finds some, their cells as DuckDB's (a record on one line without a
        control character: what parse_record reads; the records read in Python are all tested
        anyway, as control lines); None when there are more than MAX_EDGE_LINES such lines (split
        in Python, 50 µs a line of the city's events, they would cost more than the test of
        every row they spare)."""
        if len(self.edges) > MAX_EDGE_LINES:
            return None
        records = []
        with open(self.path, "rb") as f:
            for line, offset in self.edges:
                if self.good[line - 2]:
                    f.seek(offset)
                    fields, used, _ = parse_record(f.readline().decode("utf-8"))
                    assert fields is not None and used == 1, line         # DuckDB read it as one record
                    records.append((line, fields))
        cols = {"line": pa.array([r[0] for r in records], pa.int64())}
        cols.update({f"c{i}": pa.array([r[1][i] for r in records], pa.string()) for i in range(self.n_fields)})
        con.register("edge_records", pa.table(cols))
        con.execute(f"CREATE OR REPLACE TABLE memory.{table}__edges AS SELECT s.line, {select} FROM edge_records s")
        con.unregister("edge_records")
        return f"memory.{table}__edges"

    def for_duckdb(self, clean: Path) -> tuple[Path, bool] | None:
        """Step 3: (file, has a header line) holding exactly the good lines, one per line; None
        when there is none."""
        if not self.good.any():
            return None
        if self.good.all() and len(self.crlf) <= 1:
            return self.path, True
        with open(self.path, "rb") as src, open(clean, "wb") as dst:
            src.seek(self.data_start)
            rest, first = b"", 0
            while True:
                chunk = src.read(CHUNK)
                data = rest + chunk
                end = len(data) if not chunk else data.rfind(b"\n") + 1
                if end:
                    a = np.frombuffer(data[:end], np.uint8)
                    ends = np.flatnonzero(a == 10)
                    if not len(ends) or ends[-1] != len(a) - 1:
                        ends = np.append(ends, len(a))
                    starts = np.concatenate([[0], ends[:-1] + 1])
                    good = self.good[first:first + len(ends)]
                    keep = np.repeat(good, ends - starts + 1)[: len(a)]   # with its line break
                    cr = ends[(ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)] - 1
                    keep[cr] = False                                      # CRLF → LF
                    dst.write(a[keep].tobytes())
                    if ends[-1] == len(a) and good[-1]:
                        dst.write(b"\n")
                    first += len(ends)
                if not chunk:
                    break
                rest = data[end:]
        return clean, False


# ---------------------------------------------------------------------------------------------

def load_csv(con, path: Path, headers: dict[str, str], table: str,
             sniffed: tuple[str, str] | None = None) -> tuple[TextFile, list[Malformed]]:
    """Create in-memory table `table`: a `line` column (the record's first line in the file,
    header = 1) and one VARCHAR column per canonical name (empty cells as ''). Returns what was
    read and the lines that hold no record, with their text in clear (the caller masks it).
    `sniffed`: (sha256, encoding) when the caller has already read the file once."""
    if not path.exists():
        raise SourceError(f"缺少源文件 {path.name} (missing source file {path})")
    sha, encoding = sniffed or sniff(path)
    with tempfile.TemporaryDirectory(prefix="etl-") as work:
        if encoding == "xlsx":
            readable = _xlsx_as_csv(path, Path(work))
        else:
            readable, encoding = _readable(path, encoding, Path(work))
        found, data_start, header_crlf = _header(readable, path)
        missing = [h for h in headers if h not in found]
        if missing:
            raise SourceError(f"{path.name}: 缺少列 {', '.join(missing)} (missing columns; "
                              f"表头为 {', '.join(found) or '空'})")
        lines = _Lines(readable, data_start, len(found), header_crlf)
        lines.scan()
        lines.resolve()
        columns = {f"c{i}": "VARCHAR" for i in range(len(found))}
        select = ", ".join(f"s.c{found.index(h)} AS {name}" for h, name in headers.items())
        good = np.flatnonzero(lines.good) + 2
        if (duck := lines.for_duckdb(Path(work) / "records.csv")) is not None:
            # the dialect is fixed (RFC 4180), never sniffed; every line here is a record. Read
            # straight into the table (a copy of a city's events cost 15 s) with an empty cell as ''
            # (no line given to DuckDB holds chr(1)); the line numbers written afterwards, by position
            con.execute(
                f"CREATE OR REPLACE TABLE memory.{table} AS SELECT 0::BIGINT AS line, {select} "
                "FROM read_csv(?, auto_detect = false, columns = ?, header = ?, delim = ',', quote = '\"', "
                "escape = '\"', null_padding = false, strict_mode = true, nullstr = chr(1)) s",
                [str(duck[0]), columns, duck[1]])
            n_scanned = con.execute(f"SELECT count(*) FROM memory.{table}").fetchall()[0][0]
            if n_scanned != len(good):
                raise AssertionError(f"{path.name}: DuckDB read {n_scanned} records of {len(good)}")
            if len(good) == lines.lines:       # every line a record: record k is on line k + 2
                con.execute(f"UPDATE memory.{table} SET line = rowid + 2")
            else:
                con.register("good_lines", pa.table({"k": np.arange(len(good)), "line": good}))
                con.execute(f"UPDATE memory.{table} t SET line = g.line FROM good_lines g WHERE t.rowid = g.k")
                con.unregister("good_lines")
        else:
            con.execute(f"CREATE OR REPLACE TABLE memory.{table} AS SELECT 0::BIGINT AS line, "
                        + ", ".join(f"''::VARCHAR AS {name}" for name in headers.values()) + " WHERE false")
        records, malformed = lines.records, lines.malformed
        if records:
            cols = {"line": pa.array([r[0] for r in records], pa.int64())}
            cols.update({f"c{i}": pa.array([r[1][i] for r in records], pa.string())
                         for i in range(len(found))})
            con.register("python_records", pa.table(cols))
            con.execute(f"INSERT INTO memory.{table} SELECT s.line, {select} FROM python_records s")
            con.unregister("python_records")
        edge_rows = lines.edge_records(con, table, select)
    rows_in = len(good) + len(records) + len(malformed)
    return TextFile(path, sha, encoding, rows_in, lines.lines, found, [r[0] for r in records], edge_rows), malformed


def _header(path: Path, original: Path) -> tuple[list[str], int, bool]:
    """The header's column names, the byte offset where the data lines start, and whether the
    header line ends with CRLF."""
    with open(path, "rb") as f:
        first = f.readline()
    text = first.decode("utf-8", errors="replace").removeprefix("\ufeff").rstrip("\r\n")
    if "\ufffd" in text:
        raise _undecodable(original, "the header is not UTF-8 or GB18030")
    names = [h.strip() for h in next(csv.reader(io.StringIO(text)), [])]
    if not any(names):
        raise SourceError(f"{original.name}: 第 1 行应为表头, 却为空 (the first line should be the header)")
    return names, len(first), first.endswith(b"\r\n")
