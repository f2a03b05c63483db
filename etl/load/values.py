"""The value rules that need Python, and their registration as DuckDB functions.

- Timestamps and dates: the canonical forms (`YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`) and the other
  forms read unambiguously into them: `2026-8-25 5:15 PM`, `2026/08/25 下午5:15`,
  `2026年8月25日 17时15分`, `2026-08-25T17:15:00+08:00`, `20260825`. Anything that needs a
  guess (which of 3/4/2026 is the month, a two-digit year, a time of day that is not given, a
  "13:00 PM", another time zone) is not read: the value stays as written and fails its type.
- ID and phone numbers as typed (separators, +86 / 0086) reduced to their digits.
- The unified social credit code's check character (GB 32100-2015).
- The personal-data scrubber (warehouse/personal.py).

SQL calls a function only for the values that are not already canonical, inside a CASE, which
DuckDB evaluates lazily (an AND is evaluated whole: a Python call on every value), so a clean
file costs no Python call per value."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from warehouse import personal

TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ID_NUMBER = r"[0-9]{17}[0-9X]"
PHONE = f"{personal.MOBILE}|{personal.LANDLINE}"

_DAY = (r"(?P<y>[0-9]{4})(?:(?P<s>[-/.])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})"
        r"|年(?P<cm>[0-9]{1,2})月(?P<cd>[0-9]{1,2})日|(?P<m8>[0-9]{2})(?P<d8>[0-9]{2}))")
_CLOCK = (r"(?P<H>[0-9]{1,2})(?::(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?P<f>\.[0-9]{1,6})?)?"
          r"|[时点](?P<cM>[0-9]{1,2})分(?:(?P<cS>[0-9]{1,2})秒)?)")
_HALF = r"(?P<half>上午|下午|AM|PM|A\.M\.|P\.M\.)"
_ZONE = r"(?P<z>Z|[+-][0-9]{2}:?[0-9]{2})"
_TIME = rf"(?:{_HALF}\s*)?{_CLOCK}(?:\s*{_HALF.replace('half', 'half2')})?(?:\s*{_ZONE})?"
_DATE_RE = re.compile(rf"\s*{_DAY}(?:[ T]00:00(?::00)?)?\s*")
_TIMESTAMP_RE = re.compile(rf"\s*{_DAY}(?:\s*T\s*|\s+|(?<=日)){_TIME}\s*", re.IGNORECASE)
_COMPACT_TS = re.compile(r"\s*([0-9]{4})([0-9]{2})([0-9]{2})T?([0-9]{2})([0-9]{2})([0-9]{2})\s*")


def _date(m) -> dt.date | None:
    month = m["m"] or m["cm"] or m["m8"]
    day = m["d"] or m["cd"] or m["d8"]
    try:
        return dt.date(int(m["y"]), int(month), int(day))
    except ValueError:
        return None


def canonical_date(text: str | None) -> str | None:
    """`YYYY-MM-DD` for a date written another unambiguous way, else None."""
    if not text:
        return None
    m = _DATE_RE.fullmatch(unicodedata.normalize("NFKC", text))
    day = _date(m) if m else None
    return day.isoformat() if day else None


def canonical_timestamp(text: str | None) -> str | None:
    """`YYYY-MM-DD HH:MM:SS` for a time of day written another unambiguous way, else None."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    if c := _COMPACT_TS.fullmatch(text):
        y, mo, d, h, mi, s = map(int, c.groups())
        try:
            return dt.datetime(y, mo, d, h, mi, s).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
    m = _TIMESTAMP_RE.fullmatch(text)
    if not m or (m["half"] and m["half2"]):
        return None
    day = _date(m)
    hour = int(m["H"])
    minute = int(m["M"] or m["cM"] or 0) if (m["M"] or m["cM"]) else None
    second = int(m["S"] or m["cS"] or 0)
    if day is None or minute is None:
        return None                           # "17时" alone: not a time to the minute
    half = (m["half"] or m["half2"] or "").upper().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None                       # "0:30 PM", "13:00 下午": contradictory
        hour = hour % 12 + (12 if half in ("PM", "下午") else 0)
    zone = m["z"]
    if zone and zone.upper() != "Z" and zone.replace(":", "") == "+0800":
        zone = None
    if zone:
        return None                           # another time zone: not converted on a guess
    try:
        stamp = dt.datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        return None
    fraction = (m["f"] or "").rstrip("0").rstrip(".")
    return stamp.strftime("%Y-%m-%d %H:%M:%S") + fraction


_SEPARATORS = re.compile(f"[{personal.SEPARATORS}]")


def number_digits(text: str | None) -> str | None:
    """An ID or phone number as typed, reduced to its digits (and an ID's X): full-width digits
    read, separators dropped, a mobile's +86 / 0086 dropped. None when that changes nothing or
    leaves no number."""
    if not text:
        return None
    value = _SEPARATORS.sub("", personal.normalise_digits(text.strip())).upper()
    value = value.removeprefix("+")
    for code in ("0086", "86"):
        if value.startswith(code) and personal.is_mobile(value[len(code):]):
            value = value[len(code):]
    if value == text or not re.fullmatch(r"[0-9]+X?", value):
        return None
    return value


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"          # 31 characters: no I, O, S, V, Z
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 …


def credit_check_char(first17: str) -> str:
    """Check character (18th) of a unified social credit code from its first 17 characters."""
    if len(first17) != 17 or any(c not in CREDIT_CHARS for c in first17):
        raise ValueError(f"need 17 characters of {CREDIT_CHARS}, got {first17!r}")
    s = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARS[(31 - s % 31) % 31]


def is_valid_credit_code(code) -> bool:
    """True for an 18-character unified social credit code with a valid check character."""
    if not isinstance(code, str) or len(code) != 18 or any(c not in CREDIT_CHARS for c in code):
        return False
    return credit_check_char(code[:17]) == code[17]


FUNCTIONS = {
    "etl_timestamp": canonical_timestamp,
    "etl_date": canonical_date,
    "etl_number": number_digits,
    "etl_scrub": personal.scrub,
}


def register(con) -> None:
    """The functions above as DuckDB scalar functions on `con` (VARCHAR → VARCHAR, NULL → NULL;
    etl_credit_code → BOOLEAN)."""
    for name, fn in FUNCTIONS.items():
        con.create_function(name, fn, ["VARCHAR"], "VARCHAR", null_handling="special", side_effects=False)
    con.create_function("etl_credit_code", is_valid_credit_code, ["VARCHAR"], "BOOLEAN",
                        null_handling="special", side_effects=False)


INTEGER = "[+-]?[0-9]+"
DECIMAL = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_SHAPES = {"timestamp": (TIMESTAMP, "____-__-__ __:__:__", "TIMESTAMP"),
           "date": (DATE, "____-__-__", "DATE")}
_NUMBERS = {"integer": (INTEGER, "BIGINT"), "decimal": (DECIMAL, "DOUBLE")}


def canonical_sql(kind: str, v: str, cast: str | None = None) -> str:
    """SQL, true where the VARCHAR `v` is in its kind's canonical form and a value of it
    ("timestamp", "date", "integer", "decimal"). The usual value is recognised without a regular
    expression (its shape and a cast; a number that casts back to itself), the rest with the
    pattern above: a regex over every cell of ten million rows costs seconds per column. `cast`:
    for a timestamp or date, `v` already cast to its type by the caller (NULL where it does not)."""
    if kind in _SHAPES:
        pattern, shape, sql_type = _SHAPES[kind]
        cast = cast or f"TRY_CAST({v} AS {sql_type})"
        return (f"(CASE WHEN length({v}) = {len(shape)} THEN {v} LIKE '{shape}' "
                f"ELSE regexp_full_match({v}, '{pattern}') END AND {cast} IS NOT NULL)")
    pattern, cast = _NUMBERS[kind]
    back = f"CAST(TRY_CAST({v} AS {cast}) AS VARCHAR) = {v}" + \
        (f" AND isfinite(TRY_CAST({v} AS {cast}))" if cast == "DOUBLE" else "")      # not nan, inf
    return (f"(CASE WHEN {back} THEN true "
            f"ELSE regexp_full_match({v}, '{pattern}') AND TRY_CAST({v} AS {cast}) IS NOT NULL END)")


def scrubbed_sql(expr: str) -> str:
    """SQL: `expr` with ID and mobile numbers masked (a Python call only for candidates)."""
    return f"CASE WHEN {personal.candidate_sql(expr)} THEN etl_scrub({expr}) ELSE {expr} END"
