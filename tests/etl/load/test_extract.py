"""Reading sources: encodings, malformed lines, undecodable files."""
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, strategies as st

from etl.load.extract import _CONTROL, SourceError, _eol, _Lines, _valid_utf8, load_csv, parse_record, sniff

HEADERS = {"户编号": "household_id", "名称": "name"}


def _load(path):
    con = duckdb.connect()
    text, malformed = load_csv(con, path, HEADERS, "t")
    return text, malformed, con.execute("SELECT * FROM t ORDER BY line").fetchall()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(tmp_path, encoding):
    p = tmp_path / "h.csv"
    p.write_text("户编号,名称\n1,甲\n2,乙\n", encoding=encoding)
    text, malformed, rows = _load(p)
    assert text.encoding == ("gb18030" if encoding == "gb18030" else "utf-8")
    assert rows == [(2, "1", "甲"), (3, "2", "乙")] and malformed == []


def test_a_bad_utf8_line_is_quarantined_not_the_file(tmp_path):
    p = tmp_path / "h.csv"
    body = "".join(f"{i},甲乙丙\n" for i in range(3000))
    p.write_bytes(("户编号,名称\n" + body).encode() + b"X,\xff\xfe\n3,ok\n")
    text, malformed, rows = _load(p)
    assert text.encoding == "utf-8" and text.rows_in == 3002 and len(rows) == 3001
    assert (malformed[0].line, malformed[0].rule) == (3002, "malformed_line:invalid_encoding")
    assert rows[-1] == (3003, "3", "ok")      # lines after the bad one keep their numbers


def test_undecodable_file_is_a_clear_error(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes("户编号,名称\n1,甲\n".encode("utf-16"))
    with pytest.raises(SourceError, match="UTF-8 或 GB18030"):
        _load(p)


def test_missing_columns_are_named(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("户编号,别的\n1,甲\n", encoding="utf-8")
    with pytest.raises(SourceError, match="缺少列 名称"):
        _load(p)


def test_an_empty_file_says_it_is_empty(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceError, match="文件为空"):
        _load(p)
    p.write_bytes(b"\n\n")
    with pytest.raises(SourceError, match="表头"):
        _load(p)


def test_utf16_is_refused_by_name(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes("户编号,名称\n1,甲\n".encode("utf-16"))
    with pytest.raises(SourceError, match="UTF-16"):
        _load(p)


def test_missing_columns_name_what_was_found(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("户编号,别的\n1,甲\n", encoding="utf-8")
    with pytest.raises(SourceError, match="缺少列 名称.*表头为 户编号, 别的"):
        _load(p)


def test_a_header_alone_is_an_empty_file_of_rows(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("户编号,名称\n", encoding="utf-8")
    text, malformed, rows = _load(p)
    assert (text.rows_in, text.lines_in, malformed, rows) == (0, 0, [], [])


def test_only_the_line_with_bad_bytes_is_invalid_encoding(tmp_path):
    """Its neighbours, valid UTF-8 with CJK, load; line numbers after a blank line stay right."""
    p = tmp_path / "h.csv"
    p.write_bytes("户编号,名称\n1,甲乙\n".encode() + b"2,\xe7\x94\n" + "3,丙丁\n\n4,戊\n".encode())
    text, malformed, rows = _load(p)
    assert [(m.line, m.rule) for m in malformed] == [(3, "malformed_line:invalid_encoding"),
                                                    (5, "malformed_line:blank_line")]
    assert rows == [(2, "1", "甲乙"), (4, "3", "丙丁"), (6, "4", "戊")]
    assert (text.rows_in, text.lines_in) == (5, 5)


def test_old_mac_line_ends_are_read(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes("户编号,名称\r1,甲\r2,乙\r".encode())
    text, malformed, rows = _load(p)
    assert rows == [(2, "1", "甲"), (3, "2", "乙")] and malformed == []


@given(st.text(st.sampled_from(list('",a中\t\x01\x0b\x1e\x1f\x7f\r ')), max_size=24), st.integers(1, 4),
       st.sampled_from(["\n", "\r\n", ""]))
def test_the_one_line_pattern_reads_what_the_parser_reads(content, n_fields, eol):
    """A listed line taken whole by the pattern (in C) is exactly one the parser reads as a record
    of the header's fields on that one line, without a control character (left to DuckDB); a blank
    line is no record (resolve says so before parsing)."""
    line = content + eol
    text = _eol(line)[0]
    fast = bool(text) and _Lines(Path("unused"), 0, n_fields, False).one_line.fullmatch(text) is not None
    fields, used, _ = parse_record(line)
    slow = (bool(text) and fields is not None and used == 1 and len(fields) == n_fields
            and not any(_CONTROL[b] for b in text.encode()))
    assert fast == slow


@given(st.one_of(st.binary(max_size=40), st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_utf8_judged_as_python_decodes_it(data):
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert _valid_utf8(data) == valid


def test_a_bom_over_another_encoding_is_not_taken_for_utf8(tmp_path):
    """A UTF-8 BOM decides only between a few bad bytes and none: a GB18030 body behind one
    is not read as UTF-8 with every line quarantined."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\n" + "".join(f"{i},吉林市船营区居民{i}\n" for i in range(50)).encode("gb18030"))
    assert sniff(path)[1] != "utf-8"
    path.write_bytes(b"\xef\xbb\xbfid,name\n1,\xff\n" + "2,吉林\n".encode())
    assert sniff(path)[1] == "utf-8"
