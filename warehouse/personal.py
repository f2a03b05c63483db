"""Personal numbers in any written form, and the masks every layer shows them with.

One module for the ETL (free text, addresses, quarantine and repair values) and the cockpit
(display, exports, audit reasons): a rule that lives in two places drifts, and a blind spot in
either is a leak. What counts as personal here:

- a resident ID number (GB 11643-1999): 17 digits and a check digit (0-9 or X), or the
  first-generation 15-digit form; recognised when its check digit is right *or* its birth date is
  a real date, so a mistyped ID is still masked;
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
_MOBILE = re.compile(r"1[3-9]\d{9}")
# RE2-compatible (pyarrow, DuckDB): a text can only hold a personal number if it holds eleven
# digits, each at most three characters from the next. Rows that fail it need no scrubbing.
CANDIDATE = f"(?:[{_DIGIT}].{{0,3}}){{10}}[{_DIGIT}]"
_CANDIDATE = re.compile(CANDIDATE, re.S)


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


def is_id_number(value: str) -> bool:
    """An 18-character ID number (right check digit, or a real birth date) or a 15-digit one."""
    value = normalise_digits(value).upper()
    if len(value) == 18 and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X"):
        if value[0] == "0":
            return False
        return (id_check_digit(value[:17]) == value[17]
                or _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14])))
    if len(value) == 15 and value.isdigit() and value[0] != "0":
        return _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
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


def mask_id_number(value: str) -> str:
    """The first six characters (the issuing area), the rest as stars."""
    value = normalise_digits(value.strip()).upper()
    return value[:6] + "*" * (len(value) - 6) if len(value) > 6 else "*" * len(value)


def mask_mobile(value: str) -> str:
    """The first three and last four digits of a mobile; other phone numbers their last two."""
    value = normalise_digits(value.strip())
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]


def mask_name(value: str) -> str:
    value = value.strip()
    return value[:1] + "*" * (len(value) - 1)


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
