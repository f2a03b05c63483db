"""Read source files as text, whatever their encoding, into DuckDB, and account for every line.

Every cell arrives as VARCHAR (types are the checks' business). Row accounting is by physical
line (header = line 1): each line is part of exactly one record, and each record is either
loaded or quarantined, so `rows_in` (records) = loaded + quarantined and nothing is dropped.

How a file is split into records (RFC 4180: comma, double quotes, "" inside quotes):
- a line that is a well-formed record by itself (the header's number of fields, quotes only
  around whole fields) is a record; it is never read as the continuation of a quoted field;
- a quoted field may run over several lines (a line break inside 事件描述): such a record is
  read across lines that are not well-formed by themselves, up to MAX_LINES_IN_RECORD;
- anything else is quarantined one line at a time, with why (`malformed_line:<reason>`):
  blank_line, invalid_encoding, unclosed_quote, bad_quote, too_few_fields, too_many_fields.
  Reading goes on at the next line, so an unclosed quote costs its own line, never the rows
  after it, and line numbers stay those of the file.

Speed: the lines are classified in numpy, a chunk at a time; the well-formed single-line
records (nearly all of them) go to DuckDB's CSV reader in one piece, either the file itself or a
copy without the other lines; only the rest are read in Python."""
from __future__ import annotations

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

CHUNK = 16 << 20
HEAD_BYTES = 4 << 20
MAX_LINES_IN_RECORD = 50     # a quoted field running longer is an unclosed quote
MAX_RAW = 500                # characters of a malformed line kept in quarantine
# one line holding a well-formed record: fields quoted whole ("" inside) or without quotes
_QUOTED_LINE = re.compile(r'(?:"(?:[^"]|"")*"|[^",]*)(?:,(?:"(?:[^"]|"")*"|[^",]*))*')
# bytes that make a line need reading in Python: C0 controls but tab, and DEL (a CR at the very
# end of a line is its CRLF and is dropped)
_CONTROL = np.zeros(256, bool)
_CONTROL[[*range(0, 9), *range(11, 32), 127]] = True


class SourceError(Exception):
    """A source file cannot be read at all (missing, empty, undecodable, wrong headers)."""


@dataclass
class TextFile:
    path: Path
    sha256: str
    encoding: str
    rows_in: int          # records: loaded + malformed
    lines_in: int = 0     # physical lines after the header (a record may span several)
    header: list[str] = field(default_factory=list)         # the file's column names, in order
    python_lines: list[int] = field(default_factory=list)   # records read in Python (see _Lines)


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
    head = head[: len(head) - 3] if len(head) == HEAD_BYTES else head   # may end mid-character
    invalid = head.decode("utf-8", errors="replace").count("\ufffd")
    non_ascii = len(head) - len(head.translate(None, bytes(range(128))))
    return digest.hexdigest(), "utf-8" if invalid <= max(1, non_ascii // 1000) else "gb18030"


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
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00\x00" in head[:4096]:
        raise _undecodable(path, "UTF-16/UTF-32")
    cr_only = b"\n" not in head and b"\r" in head
    if encoding == "utf-8" and not cr_only:
        return path, encoding
    if encoding == "gb18030":
        try:          # the head strictly: a file in another encoding is refused, not quarantined
            head[: len(head) - 4 if len(head) == HEAD_BYTES else len(head)].decode("gb18030")
        except UnicodeDecodeError as exc:
            raise _undecodable(path, f"undecodable: {exc.reason} at byte {exc.start}") from None
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

def parse_record(lines: list[str | None], start: int, n_fields: int | None,
                 max_lines: int = MAX_LINES_IN_RECORD) -> tuple[list[str] | None, int, str]:
    """RFC 4180 from lines[start]: (fields, index of its last line, "") or (None, start, reason).
    A quoted field open at a line's end continues on the next line while that line exists, is
    decodable (not None) and is not a record by itself (`n_fields` given); a line break inside a
    field is read as "\\n"."""
    fields: list[str] = []
    field: list[str] = []
    state = "start"                  # start | plain | quoted | quote (a quote inside quotes)
    j = start
    text = lines[j]
    pos = 0
    while True:
        if pos == len(text):
            if state != "quoted":
                fields.append("".join(field))
                return fields, j, ""
            nxt = j + 1
            if (nxt < len(lines) and lines[nxt] is not None and nxt - start < max_lines
                    and (n_fields is None or not _single_record(lines[nxt], n_fields))):
                field.append("\n")
                j, text, pos = nxt, lines[nxt], 0
                continue
            return None, start, "unclosed_quote"
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
                return None, start, "bad_quote"
        elif state == "quote":
            return None, start, "bad_quote"
        else:
            field.append(ch)
            state = "plain"


def _single_record(text: str, n_fields: int) -> bool:
    fields, _, _ = parse_record([text], 0, None)
    return fields is not None and len(fields) == n_fields


def _line_problem(text: str | None, n_fields: int) -> str:
    """Why one line is no record by itself."""
    if text is None:
        return "invalid_encoding"
    if text == "":
        return "blank_line"
    fields, _, reason = parse_record([text], 0, None)
    if fields is None:
        return reason
    return "too_few_fields" if len(fields) < n_fields else "too_many_fields"


def _split_loosely(text: str) -> tuple[str, ...]:
    """A malformed line's fields as far as commas outside quotes tell (for masking by column)."""
    return tuple(next(csv.reader([text.replace("\0", "")], strict=False), []))


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _Lines:
    """Pass over the file's data lines in chunks: classify them, copy the well-formed single-line
    records to `clean` (opened only once a line must be left out), keep the others in Python."""

    def __init__(self, path: Path, data_start: int, n_fields: int, clean: Path):
        self.path, self.data_start, self.n_fields, self.clean_path = path, data_start, n_fields, clean
        self.clean = None
        self.good_lines: list[np.ndarray] = []        # physical line numbers of the copied records
        self.special: list[tuple[int, bytes]] = []    # (line, bytes) of every other line
        self.lines = 0
        self.crlf: bool | None = None     # the line ends so far, while they are all alike

    def _open_clean(self, upto: int) -> None:
        """Start the copy: the records before byte `upto` (all good so far) go in, with LF line
        ends (DuckDB reads LF, or CRLF, but not both in one file)."""
        self.clean = open(self.clean_path, "wb")
        with open(self.path, "rb") as src:
            src.seek(self.data_start)
            left, carry = upto - self.data_start, b""
            while left > 0:
                block = carry + src.read(min(CHUNK, left))
                left -= len(block) - len(carry)
                carry = b"\r" if block.endswith(b"\r") and left > 0 else b""
                self.clean.write((block[:-1] if carry else block).replace(b"\r\n", b"\n"))

    def run(self) -> None:
        offset = self.data_start
        with open(self.path, "rb") as f:
            f.seek(offset)
            rest = b""
            while True:
                chunk = f.read(CHUNK)
                data = rest + chunk
                if not chunk:
                    if data:
                        self._chunk(data, offset, final=True)
                    break
                end = data.rfind(b"\n") + 1
                if end:
                    self._chunk(data[:end], offset, final=False)
                    offset += end
                rest = data[end:]
        if self.clean is not None:
            self.clean.close()

    def _chunk(self, buf: bytes, offset: int, final: bool) -> None:
        a = np.frombuffer(buf, np.uint8)
        ends = np.flatnonzero(a == 10)
        if final and (not len(ends) or ends[-1] != len(a) - 1):
            ends = np.append(ends, len(a))                  # the last line has no line break
        starts = np.concatenate([[0], ends[:-1] + 1])
        n = len(ends)
        first = self.lines + 2
        numbers = np.arange(first, first + n, dtype=np.int64)
        self.lines += n
        has_cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)
        stop = ends - has_cr                                # end of the line's content
        commas = np.concatenate([[0], np.cumsum(a == 44, dtype=np.int64)])
        n_commas = commas[stop] - commas[starts]

        def per_line(positions: np.ndarray) -> np.ndarray:
            return np.bincount(np.searchsorted(starts, positions, side="right") - 1, minlength=n)
        quotes = per_line(np.flatnonzero(a == 34))
        control = _CONTROL[a]
        control[ends[has_cr] - 1] = False                   # a CRLF's CR
        controls = per_line(np.flatnonzero(control))
        good = (quotes == 0) & (controls == 0) & (n_commas == self.n_fields - 1) & (stop > starts)
        if not _valid_utf8(buf):
            for k in np.flatnonzero(good):
                if _decode(buf[starts[k]:stop[k]]) is None:
                    good[k] = False
        for k in np.flatnonzero((quotes > 0) & (controls == 0)):   # quoted fields on one line
            text = _decode(buf[starts[k]:stop[k]])
            if text is not None and _QUOTED_LINE.fullmatch(text) and _single_record(text, self.n_fields):
                good[k] = True
        terminated = has_cr[: n - 1] if ends[-1] == len(a) else has_cr
        if self.crlf is None and len(terminated):
            self.crlf = bool(terminated[0])
        alike = bool((terminated == self.crlf).all()) if len(terminated) else True
        if good.all() and alike and self.clean is None:
            self.good_lines.append(numbers)
            return
        if self.clean is None:
            self._open_clean(offset)
        keep = np.repeat(good, ends - starts + 1)[: len(a)]  # each good line with its line break
        keep[ends[has_cr] - 1] = False                       # CRLF → LF
        self.clean.write(a[keep].tobytes())
        if final and ends[-1] == len(a) and good[-1]:
            self.clean.write(b"\n")
        self.good_lines.append(numbers[good])
        self.special += [(int(numbers[k]), buf[starts[k]:stop[k]]) for k in np.flatnonzero(~good)]


def _valid_utf8(buf: bytes) -> bool:
    try:
        buf.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _records(special: list[tuple[int, bytes]], n_fields: int) -> tuple[list[tuple], list[Malformed]]:
    """The lines that are not well-formed single-line records, in order: the records they hold
    ((first line, fields)) and the lines that hold none."""
    records, malformed = [], []
    i = 0
    while i < len(special):
        # a run of consecutive line numbers: a quoted field can only continue within it
        j = i
        while j + 1 < len(special) and special[j + 1][0] == special[j][0] + 1:
            j += 1
        run = special[i:j + 1]
        texts = [_decode(raw) for _, raw in run]
        k = 0
        while k < len(run):
            line, raw = run[k]
            fields, last, _ = (parse_record(texts, k, n_fields) if texts[k] not in (None, "")
                               else (None, k, ""))
            if fields is not None and len(fields) == n_fields:
                records.append((line, fields))
                k = last + 1
                continue
            text = texts[k] if texts[k] is not None else raw.decode("utf-8", errors="replace")
            malformed.append(Malformed(line, f"malformed_line:{_line_problem(texts[k], n_fields)}",
                                       text, _split_loosely(text)))
            k += 1
        i = j + 1
    return records, malformed


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
        found, data_start = _header(readable, path)
        missing = [h for h in headers if h not in found]
        if missing:
            raise SourceError(f"{path.name}: 缺少列 {', '.join(missing)} (missing columns; "
                              f"表头为 {', '.join(found) or '空'})")
        lines = _Lines(readable, data_start, len(found), Path(work) / "records.csv")
        lines.run()
        records, malformed = _records(lines.special, len(found))
        good = np.concatenate(lines.good_lines) if lines.good_lines else np.zeros(0, np.int64)
        columns = {f"c{i}": "VARCHAR" for i in range(len(found))}
        select = ", ".join(f"coalesce(s.c{found.index(h)}, '') AS {name}" for h, name in headers.items())
        con.execute(f"CREATE OR REPLACE TABLE memory.{table} AS SELECT 0::BIGINT AS line, "
                    + ", ".join(f"''::VARCHAR AS {name}" for name in headers.values()) + " WHERE false")
        if len(good):
            source, header = ((str(lines.clean_path), False) if lines.clean is not None
                              else (str(readable), True))
            # the dialect is fixed (RFC 4180), never sniffed; every line here is a record
            con.execute(
                "CREATE OR REPLACE TEMP TABLE scanned AS SELECT * FROM read_csv(?, auto_detect = false, "
                "columns = ?, header = ?, delim = ',', quote = '\"', escape = '\"', "
                "null_padding = false, strict_mode = true)",
                [source, columns, header])
            con.register("good_lines", pa.table({"line": good}))
            con.execute(f"INSERT INTO memory.{table} SELECT g.line, {select} "
                        f"FROM scanned s POSITIONAL JOIN good_lines g")
            con.unregister("good_lines")
            n_scanned = con.execute("SELECT count(*) FROM scanned").fetchone()[0]
            con.execute("DROP TABLE scanned")
            if n_scanned != len(good):
                raise AssertionError(f"{path.name}: DuckDB read {n_scanned} records of {len(good)}")
        if records:
            cols = {"line": pa.array([r[0] for r in records], pa.int64())}
            cols.update({f"c{i}": pa.array([r[1][i] for r in records], pa.string())
                         for i in range(len(found))})
            con.register("python_records", pa.table(cols))
            con.execute(f"INSERT INTO memory.{table} SELECT s.line, {select} FROM python_records s")
            con.unregister("python_records")
    rows_in = len(good) + len(records) + len(malformed)
    return TextFile(path, sha, encoding, rows_in, lines.lines, found, [r[0] for r in records]), malformed


def _header(path: Path, original: Path) -> tuple[list[str], int]:
    """The header's column names and the byte offset where the data lines start."""
    with open(path, "rb") as f:
        first = f.readline()
    text = first.decode("utf-8", errors="replace").removeprefix("\ufeff").rstrip("\r\n")
    if "\ufffd" in text:
        raise _undecodable(original, "the header is not UTF-8 or GB18030")
    names = [h.strip() for h in next(csv.reader(io.StringIO(text)), [])]
    if not any(names):
        raise SourceError(f"{original.name}: 第 1 行应为表头, 却为空 (the first line should be the header)")
    return names, len(first)
