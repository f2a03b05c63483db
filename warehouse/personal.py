"""Personal numbers in any written form, and the masks every layer shows them with.

One module for the ETL (free text, addresses, quarantine and repair values) and the cockpit
(display, exports, audit reasons): a rule that lives in two places drifts, and a blind spot in
either is a leak. What counts as personal here:

- a resident ID number (GB 11643-1999): 17 digits and a check digit (0-9 or X), or the
  first-generation 15-digit form, starting with a province code; recognised when its check digit
  is right *or* its birth date is a real date, so a mistyped ID is still masked. (Foreigners'
  permanent-residence numbers of 2023, 9 + province + …, are not: unified social credit codes of
  digits, 9 + category + region + …, have their shape.) A 15-digit number counts only with a birth year
  1930-1999: an area code (county + 3-digit street/town 001-299 + community + grid, the 15-digit
  grid codes) reads as a "birth date" in 1900-1929, and nobody born then still holds a
  first-generation card;
- a mainland mobile number: 11 digits, 1[3-9]…, with or without +86 / 0086 in front.

Before matching, digits are normalised: full-width digits (１３９), Chinese numerals (一三九, 〇, 幺),
and separators inside a number (spaces of any kind, hyphens and dashes, dots, slashes, zero-width
characters), so `139-1234-5678`, `139 1234 5678`, `１３９１２３４５６７８` and
`220204 19800101 1232` are all found. A run of digits glued to an ASCII letter is a key
(`SJ2202040012024…`, `ZYZ0000123`) and never masked: keys are not personal data and a data steward
must be able to find the record they name. A longer run of digits (an order number) is not a
phone number.

Masks (GB/T 35273-2020 de-identification, annex A): an ID number keeps only its first six digits,
the issuing area, which the resident's address gives away anyway; the birth date, sequence and
check digit go, so with the birth year shown beside it about 180,000 numbers remain possible
(with the last four digits kept as well, the check digit left a median of 33). A mobile keeps the
first three and last four digits (the carrier and a local hint, 10,000 possible). A name keeps its
first character."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)}
_CHINESE = {ord(c): ord(d) for c, d in zip("〇零一二三四五六七八九幺", "001234567891")}
_DIGITS = str.maketrans({**_FULLWIDTH, **_CHINESE, ord("Ｘ"): ord("X"), ord("ｘ"): ord("x")})
# separators people type inside a number: spaces of every width, hyphens, dashes, dots, slashes,
# and the invisible characters that survive copy and paste
SEPARATORS = (" \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"        # spaces
              "\u200b-\u200d\u2060\ufeff\u00ad"                           # zero-width, soft hyphen
              "\\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d"                   # hyphens, dashes, minus
              ".\u00b7\u30fb\uff0e\u2027/\uff0f_")                        # dots, slashes
_ARABIC = "0-9\uff10-\uff19"
_HAN = "〇零一二三四五六七八九幺"
_DIGIT = _ARABIC + _HAN
# a group is a run of one script: "第一13912345678" is 一 and a mobile, not a 12-digit number
_GROUP = re.compile(f"[{_ARABIC}]+[XxｘＸ]?|[{_HAN}]+|[XxｘＸ]")
# a number as typed: digit groups joined by at most three separator characters; an ID's check
# character X may close it
_CLUSTER = re.compile(f"(?:[{_ARABIC}]+|[{_HAN}]+)(?:[{SEPARATORS}]{{0,3}}(?:[{_ARABIC}]+|[{_HAN}]+))*"
                      f"(?:[{SEPARATORS}]{{0,3}}[XxｘＸ](?![A-Za-z0-9]))?")
# RE2-compatible, so the ETL's SQL checks a phone column with the same patterns
MOBILE = "1[3-9][0-9]{9}"
LANDLINE = "0[0-9]{2,3}[0-9]{7,8}"          # area code and number, separators removed
_MOBILE = re.compile(MOBILE)
# RE2-compatible (pyarrow, DuckDB): a text can only hold a personal number if it holds eleven
# digits, each at most three characters from the next. Rows that fail it need no scrubbing.
CANDIDATE = f"(?:[{_DIGIT}].{{0,3}}){{10}}[{_DIGIT}]"
_CANDIDATE = re.compile(CANDIDATE, re.S)
# a word of ASCII letters and digits that starts with a letter (a key such as SJ2202…) holds no
# personal number: every run of digits in it is glued to a letter (see find)
KEY_SHAPED = "[A-Za-z][0-9A-Za-z]*"


@dataclass(frozen=True)
class Found:
    kind: str          # "id_number" or "mobile"
    start: int         # span in the original text (separators included)
    end: int
    value: str         # the number, normalised (ASCII digits, upper-case X)
    prefix: str = ""   # a mobile's country code as written before it (86, 0086)


def normalise_digits(text: str) -> str:
    """Full-width and Chinese digits as ASCII digits, full-width X as X; nothing else changes."""
    return text.translate(_DIGITS)


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1880 <= year <= 2100


# the provinces (GB/T 2260) an ID number's first two digits name: a number starting otherwise (a
# credit code 91…, an order number) is not one
PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
                       46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})


def is_id_number(value: str) -> bool:
    """An 18-character ID number (its province, and a right check digit or a real birth date) or
    a 15-digit one."""
    value = normalise_digits(value).upper()
    if len(value) == 18 and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X"):
        if int(value[:2]) not in PROVINCES:
            return False
        return (id_check_digit(value[:17]) == value[17]
                or _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14])))
    if len(value) == 15 and value.isdigit() and int(value[:2]) in PROVINCES:
        return int(value[6:8]) >= 30 and _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def is_mobile(value: str) -> bool:
    return bool(_MOBILE.fullmatch(normalise_digits(value)))


def find(text: str) -> list[Found]:
    """Every ID number and mobile number in `text`, in order, however it is written."""
    if not isinstance(text, str) or not _CANDIDATE.search(text):
        return []
    found = []
    for cluster in _CLUSTER.finditer(text):
        start, end = cluster.span()
        # glued to a letter: part of a key such as SJ2202…; a trailing X is the ID's own
        if (start > 0 and text[start - 1].isascii() and text[start - 1].isalpha()) or \
                (end < len(text) and text[end].isascii() and text[end].isalnum()):
            continue
        found.extend(_in_cluster(text, start, cluster.group()))
    return found


def _in_cluster(text: str, offset: int, cluster: str) -> list[Found]:
    """The numbers in one cluster of digit groups: from each group on, the longest run of whole
    groups that forms an ID number or a mobile (a number is never cut inside a group)."""
    groups = []
    for part in _GROUP.finditer(cluster):
        at, end = part.span()
        digits = normalise_digits(part.group()).upper()
        if digits.endswith("X") and len(digits) > 1:     # the check character: a group of its own,
            groups.append((at, end - 1, digits[:-1]))    # so "…5678x" can still be a mobile
            groups.append((end - 1, end, "X"))
        else:
            groups.append((at, end, digits))
    out, i = [], 0
    while i < len(groups):
        best = None
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > 18 or ("X" in digits[:-1]):
                break
            if is_id_number(digits):
                best = (j, "id_number", digits, "")
                continue
            national = digits[4:] if digits.startswith("0086") else digits[2:] if digits.startswith("86") else digits
            if is_mobile(national):              # with or without +86 / 0086 in front
                best = (j, "mobile", national, digits[:len(digits) - len(national)])
        if best is None:
            i += 1
            continue
        j, kind, value, prefix = best
        out.append(Found(kind, offset + groups[i][0], offset + groups[j][1], value, prefix))
        i = j + 1
    return out


# Python's str.strip() set, spelled out so that the SQL masks below trim exactly the same
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_FROM, _TO = zip(*((chr(a), chr(b)) for a, b in _DIGITS.items()))
# kind: (characters kept at the start, at the end), the rest as stars. A mobile keeps 3 + 4 only
# with its 11 digits, any other phone number its last two. A value too short to hide anything is
# shown as it is, except an ID number's, which is then all stars.
MASKS = {"id_number": (6, 0), "mobile": (3, 4), "phone": (0, 2), "name": (1, 0)}


def _mask(value: str, kind: str) -> str:
    head, tail = MASKS[kind]
    if len(value) > head + tail:
        return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail:]
    return "*" * len(value) if kind == "id_number" else value


def mask_id_number(value: str) -> str:
    """The first six characters (the issuing area), the rest as stars."""
    return _mask(normalise_digits(value.strip()), "id_number")


def mask_mobile(value: str) -> str:
    """The first three and last four digits of a mobile; other phone numbers their last two."""
    value = normalise_digits(value.strip())
    return _mask(value, "mobile" if len(value) == 11 else "phone")


def mask_name(value: str) -> str:
    return _mask(value.strip(), "name")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def mask_sql(kind: str, expr: str) -> str:
    """The SQL (DuckDB) of mask_id_number, mask_mobile or mask_name (`kind` "id_number", "mobile",
    "name") over the VARCHAR expression `expr`, rendered from the same MASKS, digit map and
    whitespace as those functions and tested equal to them on random text: for a warehouse build,
    where a Python call per value would cost minutes at city scale. NULL stays NULL."""
    return masked_sql(kind, normalised_sql(kind, expr))


def normalised_sql(kind: str, expr: str) -> str:
    """The SQL of what mask_sql masks: `expr` trimmed, and for a number its digits read. Both
    functions cost a second per three million values, so they run only on values they may change:
    not on a number written in ASCII digits (and an ID's X), nor on a name without whitespace at
    either end."""
    v = f"trim({expr}, {_sql_literal(WHITESPACE)})"
    if kind == "name":
        space = f"[{_regex_class(WHITESPACE)}]"
        return f"CASE WHEN regexp_matches({expr}, '^{space}|{space}$') THEN {v} ELSE {expr} END"
    v = f"translate({v}, {_sql_literal(''.join(_FROM))}, {_sql_literal(''.join(_TO))})"
    return f"CASE WHEN regexp_full_match({expr}, '[0-9Xx]*') THEN {expr} ELSE {v} END"


def _regex_class(chars: str) -> str:
    """`chars` inside a regular expression's [...], each as an escape (RE2's \\x{...})."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def masked_sql(kind: str, v: str) -> str:
    """mask_sql over `v`, the value normalised_sql made."""
    def shape(k: str) -> str:
        head, tail = MASKS[k]
        keep = f"left({v}, {head}) || repeat('*', length({v}) - {head + tail})" + \
            (f" || right({v}, {tail})" if tail else "")
        short = f"repeat('*', length({v}))" if k == "id_number" else v
        return f"CASE WHEN length({v}) > {head + tail} THEN {keep} ELSE {short} END"
    if kind == "mobile":
        return f"CASE WHEN length({v}) = 11 THEN {shape('mobile')} ELSE {shape('phone')} END"
    return shape(kind)


def candidate_sql(expr: str) -> str:
    """SQL, true where `expr` may hold a personal number: where it is false, scrub leaves the
    value as it is (tested), so only the rest need the Python call."""
    # eleven digits take eleven bytes at least: shorter values (house numbers, codes) need no regex
    return (f"(strlen({expr}) >= 11 AND regexp_matches({expr}, {_sql_literal(CANDIDATE)}, 's') "
            f"AND NOT regexp_full_match({expr}, {_sql_literal(KEY_SHAPED)}))")


def check_digit_sql(expr: str) -> str:
    """SQL of id_check_digit over the first 17 characters of `expr` (which must be ASCII digits)."""
    terms = " + ".join(f"{w} * CAST(substr({expr}, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(ID_WEIGHTS))
    return f"substr({_sql_literal(ID_CHECK)}, (({terms}) % 11) + 1, 1)"


def scrub(text):
    """`text` with every ID number and mobile masked; anything that is not a str is returned as is."""
    if not isinstance(text, str):
        return text
    found = find(text)
    if not found:
        return text
    parts, last = [], 0
    for f in found:
        parts.append(text[last:f.start])
        parts.append(mask_id_number(f.value) if f.kind == "id_number" else f.prefix + mask_mobile(f.value))
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def holds_personal(text) -> bool:
    return bool(find(text)) if isinstance(text, str) else False
