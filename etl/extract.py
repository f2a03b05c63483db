"""Read source files as text, whatever their encoding, into DuckDB, and say what was read.

Every cell arrives as VARCHAR (types are the checks' business). Lines that do not parse as CSV
(wrong number of fields, broken quoting, a truncated last line) are not dropped: DuckDB's
rejects table keeps them with their line numbers and they go to quarantine."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 16 << 20
HEAD_BYTES = 4 << 20
MAX_LINES_IN_RECORD = 20     # more newlines inside one rejected record: an unclosed quote
MAX_RAW = 500                # characters of a rejected line kept in quarantine
_PHONE = re.compile(r"(1[3-9]\d)\d{4}(\d{4})")
_ID = re.compile(r"(\d{6})\d{8}(\d{3}[\dXx])")


def scrub(text: str) -> str:
    """Mask ID and mobile numbers inside free text (hotline transcripts name their callers)."""
    return _PHONE.sub(r"\1****\2", _ID.sub(r"\1********\2", text))


class SourceError(Exception):
    """A source file cannot be read at all (missing, undecodable, wrong headers)."""


@dataclass
class TextFile:
    path: Path
    sha256: str
    encoding: str
    rows_in: int          # data lines: loaded + malformed


def sniff(path: Path) -> tuple[str, str]:
    """(sha256, encoding). "xlsx" for a workbook; for text, UTF-8 (with or without BOM) if the
    file's first megabytes decode so, else GB18030. A UTF-8 file with a few bad bytes further on is still UTF-8: DuckDB rejects
    those lines one by one and they go to quarantine as malformed_line:INVALID ENCODING."""
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


def _header(path: Path, encoding: str) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
            return [h.strip() for h in next(csv.reader(io.StringIO(f.readline())), [])]
    except UnicodeDecodeError:
        raise SourceError(f"{path.name}: 无法识别编码, 应为 UTF-8 或 GB18030 (undecodable)") from None


def _as_utf8(path: Path, encoding: str, workdir: Path) -> Path:
    if encoding == "utf-8":
        return path
    out = workdir / (path.stem + ".utf8.csv")
    try:
        with open(path, encoding=encoding, newline="") as src, \
                open(out, "w", encoding="utf-8", newline="") as dst:
            while text := src.read(CHUNK):
                dst.write(text)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name}: 无法识别编码, 应为 UTF-8 或 GB18030 (undecodable: {exc.reason} "
                          f"at byte {exc.start})") from None
    return out


def _xlsx_as_csv(path: Path, workdir: Path) -> Path:
    """The first sheet of a workbook as a UTF-8 CSV of text cells: dates as YYYY-MM-DD (with the
    time when it is not midnight), whole numbers without ".0", empty cells empty; line k of the
    CSV is row k of the sheet, so quarantine line numbers are Excel's row numbers."""
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
    return out


def load_csv(con, path: Path, headers: dict[str, str], table: str, personal: bool,
             sniffed: tuple[str, str] | None = None) -> tuple[TextFile, list]:
    """Create in-memory table `table`: a `line` column (line in the file, header = 1) and one
    VARCHAR column per canonical name. Returns what was read and the malformed lines as
    (line, rule, raw) tuples; raw is withheld for files holding personal data. `sniffed`:
    (sha256, encoding) when the caller has already read the file once."""
    if not path.exists():
        raise SourceError(f"缺少源文件 {path.name} (missing source file {path})")
    sha, encoding = sniffed or sniff(path)
    with tempfile.TemporaryDirectory(prefix="etl-") as work:
        readable = (_xlsx_as_csv(path, Path(work)) if encoding == "xlsx"
                    else _as_utf8(path, encoding, Path(work)))
        found = _header(readable, "utf-8")
        missing = [h for h in headers if h not in found]
        if missing:
            raise SourceError(f"{path.name}: 缺少列 {', '.join(missing)} (missing columns)")
        con.execute("DROP TABLE IF EXISTS temp.reject_scans; DROP TABLE IF EXISTS temp.reject_errors")
        # the dialect is fixed (RFC 4180), not sniffed: a damaged file must not change how it is read
        columns = {f"c{i}": "VARCHAR" for i in range(len(found))}
        con.execute(
            "CREATE OR REPLACE TEMP TABLE scanned AS SELECT * FROM read_csv(?, auto_detect = false, "
            "columns = ?, header = true, delim = ',', quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = 'reject_errors', rejects_scan = 'reject_scans', "
            "rejects_limit = 0, null_padding = false, strict_mode = true)", [str(readable), columns])
    bad = con.execute("""SELECT line, string_agg(DISTINCT error_type::VARCHAR, '+' ORDER BY error_type::VARCHAR),
                                any_value(csv_line)
                         FROM reject_errors GROUP BY line ORDER BY line""").fetchall()
    for line, _, raw in bad:
        # an unclosed quote makes one "record" of the rest of the file: refuse, never lose rows
        if raw and raw.count("\n") > MAX_LINES_IN_RECORD:
            raise SourceError(f"{path.name}: 第 {line} 行起引号未闭合, 其后 {raw.count(chr(10))} 行无法解析 "
                              f"(unclosed quote from line {line} swallows the rest of the file)")
    n_ok = con.execute("SELECT count(*) FROM scanned").fetchone()[0]
    rows_in = n_ok + len(bad)
    select = ", ".join(f"coalesce(s.c{found.index(h)}, '') AS {name}" for h, name in headers.items())
    if not bad:   # rows are stored in file order: row k is on line k + 2
        con.execute(f"CREATE OR REPLACE TABLE memory.{table} AS "
                    f"SELECT (s.rid + 2)::BIGINT AS line, {select} FROM (SELECT rowid AS rid, * FROM scanned) s")
    else:         # the k-th parsed row sits on the k-th line that was not rejected
        con.execute(f"""
            CREATE OR REPLACE TABLE memory.{table} AS
            WITH good_lines AS (
                SELECT line, row_number() OVER (ORDER BY line) - 1 AS rid
                FROM (SELECT unnest(range(2, ? + 2)) AS line
                      EXCEPT SELECT line FROM reject_errors)
            )
            SELECT g.line::BIGINT AS line, {select}
            FROM (SELECT rowid AS rid, * FROM scanned) s JOIN good_lines g USING (rid)
            ORDER BY g.line""", [rows_in])
    con.execute("DROP TABLE scanned")
    malformed = [(int(line), f"malformed_line:{kind}",
                  "[含个人信息，已屏蔽]" if personal else scrub(raw or "")[:MAX_RAW])
                 for line, kind, raw in bad]
    return TextFile(path, sha, encoding, rows_in), malformed
