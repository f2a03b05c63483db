"""The one personal-data scrubber: ID numbers and mobiles in every written form are found inside
random Chinese text and masked; keys, dates, amounts and other numbers are left alone."""
from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import given, settings, strategies as st

from warehouse.personal import (
    PROVINCES,
    candidate_sql,
    check_digit_sql,
    find,
    holds_personal,
    id_check_digit,
    is_id_number,
    mask_id_number,
    mask_mobile,
    mask_name,
    mask_sql,
    scrub,
)

# Chinese text around a number; not the numerals themselves (一三九… followed by 一 is ambiguous)
CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5, exclude_characters="〇零一二三四五六七八九幺"),
              max_size=12)
PUNCT = st.sampled_from(["", "：", ":", "，", "。", "（", "）", " ", "电话", "身份证号"])
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
CHINESE = str.maketrans("0123456789", "〇一二三四五六七八九")
SEPARATORS = [" ", "-", "－", "—", ".", "·", "\u3000", "\u200b", " - ", "/", "\u00a0"]


@st.composite
def id_numbers(draw) -> str:
    area = draw(st.sampled_from(sorted(PROVINCES))) * 10000 + draw(st.integers(0, 9999))
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


@st.composite
def mobiles(draw) -> str:
    return f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 999_999_999)):09d}"


@st.composite
def written(draw, number: str) -> str:
    """`number` as somebody might type it: cut into groups joined by separators, full-width or
    Chinese digits, a lower-case x."""
    form = draw(st.sampled_from(["plain", "grouped", "fullwidth", "fullwidth-grouped", "chinese", "lower"]))
    if form == "lower":
        return number.lower()
    if form in ("fullwidth", "fullwidth-grouped"):
        number = number.translate(FULLWIDTH)
    if form == "chinese" and number.isdigit():
        return number.translate(CHINESE)
    if form in ("grouped", "fullwidth-grouped"):
        cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=4)))
        sep = draw(st.sampled_from(SEPARATORS))
        parts = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)])]
        return sep.join(parts)
    return number


def in_text(draw, number_form: str) -> str:
    return draw(CJK) + draw(PUNCT) + number_form + draw(PUNCT) + draw(CJK)


@settings(max_examples=400)
@given(st.data())
def test_id_numbers_in_any_written_form_are_masked(data):
    number = data.draw(id_numbers())
    text = in_text(data.draw, data.draw(written(number)))
    out = scrub(text)
    assert number not in out.translate({ord(c): None for c in "".join(SEPARATORS)})
    assert not holds_personal(out), out
    assert [f.value for f in find(text)] == [number]
    assert mask_id_number(number) in out


@settings(max_examples=400)
@given(st.data())
def test_mobiles_in_any_written_form_are_masked(data):
    number = data.draw(mobiles())
    text = in_text(data.draw, data.draw(written(number)))
    out = scrub(text)
    assert not holds_personal(out), out
    assert [f.value for f in find(text)] == [number]
    assert mask_mobile(number) in out


@given(st.lists(st.one_of(id_numbers(), mobiles()), min_size=2, max_size=5), st.data())
def test_several_numbers_in_one_text_are_each_masked(numbers, data):
    text = "".join(data.draw(CJK) + "，" + data.draw(written(n)) for n in numbers)
    assert [f.value for f in find(text)] == numbers
    assert not holds_personal(scrub(text))


@given(st.from_regex(r"[A-Z]{2,4}", fullmatch=True), st.one_of(id_numbers(), mobiles(),
       st.from_regex(r"[0-9]{8,24}", fullmatch=True)))
def test_keys_are_never_masked(prefix, digits):
    key = prefix + digits
    assert scrub(f"事件{key}已派遣") == f"事件{key}已派遣"
    assert scrub(key) == key


@given(st.from_regex(r"[0-9]{19,30}", fullmatch=True))
def test_a_longer_run_of_digits_is_not_a_personal_number(digits):
    assert scrub(f"订单号{digits}") == f"订单号{digits}"


@given(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 23), st.integers(0, 59),
       st.integers(0, 100_000), st.floats(0, 1e6, allow_nan=False))
def test_dates_times_and_amounts_are_left_alone(day, hour, minute, count, amount):
    for text in (f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}", f"{day:%Y年%m月%d日}上报{count}件",
                 f"金额{amount:.2f}元", f"{day:%Y/%m/%d} {count}", f"{day:%Y%m%d}"):
        assert scrub(text) == text


@given(st.text(max_size=60))
def test_scrub_is_idempotent_and_leaves_nothing_personal(text):
    once = scrub(text)
    assert scrub(once) == once
    assert not holds_personal(once)


def test_a_mistyped_id_number_with_a_real_birth_date_is_still_masked():
    wrong = "22020419800101123" + ("0" if id_check_digit("22020419800101123") != "0" else "1")
    assert scrub(f"身份证{wrong}") == "身份证220204************"
    assert is_id_number("220204800101123")                      # first-generation, 15 digits


def test_country_code_is_kept_and_the_mobile_masked():
    assert scrub("+86 139 1234 5678") == "+86139****5678"
    assert scrub("0086-13912345678") == "0086139****5678"


def test_masks():
    assert mask_id_number("22020419800101123x") == "220204************"
    assert mask_mobile("13912345678") == "139****5678"
    assert mask_name("欧阳修") == "欧**"
    assert scrub(None) is None and scrub(12) == 12


@given(st.integers(110000, 659999), st.integers(1, 299), st.integers(1, 999), st.integers(1, 999))
def test_area_codes_are_not_first_generation_id_numbers(county, street, community, grid):
    """A grid code (county + street/town 001-299 + community + grid) has the shape of a 15-digit
    ID number with a birth year 1900-1929: it is a code, and a steward must be able to read it."""
    code = f"{county}{street:03d}{community:03d}{grid:03d}"
    assert scrub(code) == code and scrub(f"网格{code}，社区{code[:12]}") == f"网格{code}，社区{code[:12]}"
    assert is_id_number("220204500101123")          # born 1950: still a first-generation ID


# any text, and text shaped like the values a personal column holds
VALUES = st.one_of(st.text(max_size=24), id_numbers(), mobiles(), mobiles().flatmap(written),
                   id_numbers().flatmap(written), st.text("　 ０１２３４５６７８９X一二〇", max_size=20))


_DB = duckdb.connect()


@settings(max_examples=300)
@given(VALUES)
def test_the_sql_masks_are_the_python_masks(value):
    con = _DB.cursor()
    got = con.execute("SELECT " + ", ".join(mask_sql(k, "$v") for k in ("id_number", "mobile", "name")),
                      {"v": value}).fetchone()
    assert got == (mask_id_number(value), mask_mobile(value), mask_name(value))
    assert con.execute(f"SELECT {mask_sql('name', 'NULL::VARCHAR')}").fetchone() == (None,)


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_the_sql_check_digit_is_the_python_one(first17):
    assert _DB.cursor().execute(f"SELECT {check_digit_sql('$v')}", {"v": first17}).fetchone()[0] \
        == id_check_digit(first17)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=40), id_numbers().flatmap(written), mobiles().flatmap(written),
                 st.from_regex(r"[A-Z]{1,3}[0-9]{8,24}", fullmatch=True),
                 st.from_regex(r"[0-9]{6,24}", fullmatch=True)))
def test_what_the_sql_prefilter_passes_over_needs_no_scrubbing(text):
    if not _DB.cursor().execute(f"SELECT {candidate_sql('$v')}", {"v": text}).fetchone()[0]:
        assert scrub(text) == text


@given(st.sampled_from(["91", "92", "93"]), st.from_regex(r"[0-9]{6}", fullmatch=True),
       st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_enterprise_credit_codes_of_digits_are_not_id_numbers(head, region, rest):
    """A firm's unified social credit code made of digits (an old organisation code inside) may
    pass an ID's check digit; it starts with 9 (市场监管), never a province. (Codes of other
    authorities, 1x and 5x, can be read as IDs: their prefixes are province codes.)"""
    code = head + region + rest
    assert scrub(code) == code and scrub(f"信用代码{code}") == f"信用代码{code}"
