"""Values read unambiguously or not at all: times of day in 12-hour forms, dates in other forms,
ID and phone numbers as typed, credit codes."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from etl.load.values import canonical_date, canonical_timestamp, credit_check_char, is_valid_credit_code, number_digits

TIMES = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2035, 12, 31)).map(lambda t: t.replace(microsecond=0))


def _twelve(t: dt.datetime) -> tuple[int, str, str]:
    hour = t.hour % 12 or 12
    return hour, ("AM" if t.hour < 12 else "PM"), ("上午" if t.hour < 12 else "下午")


@given(TIMES, st.data())
def test_every_unambiguous_form_of_a_time_reads_as_that_time(t, data):
    h12, ampm, chinese = _twelve(t)
    forms = [
        f"{t:%Y-%m-%d %H:%M:%S}", f"{t.year}-{t.month}-{t.day} {t.hour}:{t:%M:%S}",
        f"{t:%Y/%m/%d %H:%M:%S}", f"{t:%Y.%m.%d} {t:%H:%M:%S}", f"{t:%Y-%m-%dT%H:%M:%S}",
        f"{t:%Y-%m-%dT%H:%M:%S}+08:00", f"{t:%Y%m%d%H%M%S}",
        f"{t.year}-{t.month}-{t.day} {h12}:{t:%M:%S} {ampm}", f"{t:%Y-%m-%d} {h12}:{t:%M:%S}{ampm.lower()}",
        f"{t:%Y/%m/%d} {chinese}{h12}:{t:%M:%S}", f"{t.year}年{t.month}月{t.day}日 {t.hour}时{t.minute}分{t.second}秒",
        f"{t.year}年{t.month}月{t.day}日{chinese}{h12}:{t:%M:%S}",
        f"{t:%Y-%m-%d %H:%M:%S}".translate(str.maketrans("0123456789:", "０１２３４５６７８９：")),
    ]
    form = data.draw(st.sampled_from(forms))
    assert canonical_timestamp(form) == f"{t:%Y-%m-%d %H:%M:%S}", form


def test_the_issues_example_is_read_as_the_afternoon():
    assert canonical_timestamp("2026-8-25 5:15 PM") == "2026-08-25 17:15:00"
    assert canonical_timestamp("2026-08-25 12:05 AM") == "2026-08-25 00:05:00"
    assert canonical_timestamp("2026-08-25 12:05 下午") == "2026-08-25 12:05:00"
    assert canonical_timestamp("2026-08-25 17:15") == "2026-08-25 17:15:00"


@pytest.mark.parametrize("text", [
    "3/4/2026 10:00",              # month or day first?
    "26-8-25 17:15",               # two-digit year
    "2026-08-25",                  # no time of day
    "2026-08-25 17时",             # not to the minute
    "2026-08-25 13:00 PM",         # contradictory
    "2026-08-25 0:30 AM",
    "2026-08-25 下午 5:15 PM",      # twice
    "2026-08-25 17:15:00Z",        # another time zone: not converted on a guess
    "2026-08-25 17:15:00+09:00",
    "2026-02-30 10:00:00",         # no such day
    "2026-08-25 24:00:00",
    "2026-08-25 晚上8:00",          # a period word other than 上午/下午
    "", "abc",
])
def test_an_ambiguous_or_impossible_time_is_not_read(text):
    assert canonical_timestamp(text) is None


@given(st.dates(dt.date(1900, 1, 1), dt.date(2035, 12, 31)), st.data())
def test_every_unambiguous_form_of_a_date_reads_as_that_date(d, data):
    form = data.draw(st.sampled_from([f"{d:%Y-%m-%d}", f"{d.year}/{d.month}/{d.day}", f"{d.year}-{d.month}-{d.day}",
                                      f"{d:%Y.%m.%d}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y%m%d}",
                                      f"{d:%Y-%m-%d} 00:00:00"]))
    assert canonical_date(form) == d.isoformat(), form


@pytest.mark.parametrize("text", ["1/2/1980", "80-1-1", "1980-13-01", "1980-02-30", "1980-01-01 08:00:00", "1980"])
def test_an_ambiguous_or_impossible_date_is_not_read(text):
    assert canonical_date(text) is None


def test_numbers_as_typed_are_reduced_to_their_digits():
    assert number_digits("139-1234-5678") == "13912345678"
    assert number_digits("+86 139 1234 5678") == "13912345678"
    assert number_digits("0086-13912345678") == "13912345678"
    assert number_digits("１３９１２３４５６７８") == "13912345678"
    assert number_digits("220204 19800101 123x") == "22020419800101123X"
    assert number_digits("0432-62345678") == "043262345678"
    assert number_digits("13912345678") is None           # already digits
    assert number_digits("见备注") is None and number_digits("2.20204E+17") is None


def test_credit_codes():
    good = "91350100M000100Y43"
    assert is_valid_credit_code(good) and credit_check_char(good[:17]) == good[17]
    assert not is_valid_credit_code("91350100M000100Y44") and not is_valid_credit_code(None)


@pytest.mark.parametrize("kind, good, bad", [
    ("timestamp", ["2026-08-25 17:15:00", "2026-08-25 17:15:00.5"],
     ["2026-8-25 5:15 PM", "2026-02-30 10:00:00", "2026-08-25 17:15:0x", "2026-08-25 17:15:00 PM"]),
    ("date", ["1980-01-01"], ["1980/1/1", "1980-02-30", "80-01-01"]),
    ("integer", ["1", "+1", "007", "-12"], ["1.5", "1e3", " 2", "1,000", ""]),
    ("decimal", ["126.549812", "43.8437210", ".5", "3", "-0.25"], ["1,2", "nan", "inf", "-inf", "1e3", "1.2.3"]),
])
def test_canonical_forms_in_sql(kind, good, bad):
    """DuckDB casts '1.5' to an INTEGER (2), 'nan' to a DOUBLE and '2026-8-25 5:15 PM' to 05:15: the
    type checks hold values to their canonical form."""
    import duckdb

    from etl.load.values import canonical_sql
    con = duckdb.connect()
    for value, want in [(v, True) for v in good] + [(v, False) for v in bad]:
        assert con.execute(f"SELECT {canonical_sql(kind, '$v')}", {"v": value}).fetchone()[0] is want, value
