"""Personal data on its way into the warehouse, and how any source value is shown.

The served database never holds a full ID number, name or phone: the columns of a personal kind
(etl/contract KINDS) are checked on their clear values, then replaced, in memory, by a keyed hash
(HMAC-SHA256, for linkage) and masks (warehouse/personal.py, the one definition every layer
uses). Free text and short text are scrubbed of ID and mobile numbers however they are written.
Every value the ETL writes to `quarantine` or `repairs` goes through `shown_sql` / `shown`:
personal kinds masked, everything else scrubbed, so keys and codes stay findable.

The key lives outside the database, in a file only the ETL reads; losing it breaks linkage with
earlier runs, leaking it allows re-identification by brute force over the ID-number space, so it
is created with mode 0600 (warehouse/keys.py)."""
from __future__ import annotations

import re

from etl.load.values import DATE, ID_NUMBER, PHONE, scrubbed_sql
from warehouse import personal

MASK_OF_KIND = {"id_number": "id_number", "phone": "mobile", "person_name": "name"}
_PYTHON_MASK = {"id_number": personal.mask_id_number, "phone": personal.mask_mobile,
                "person_name": personal.mask_name}
MAX_SHOWN = 500                  # characters of a malformed line kept in quarantine
_CJK = re.compile(r"[^\x00-\x7f]")


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104, SHA-256 block of 64 bytes), for SQL."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else None
    if block is None:
        raise ValueError("key longer than one SHA-256 block")
    return {"ipad": bytes(b ^ 0x36 for b in block), "opad": bytes(b ^ 0x5C for b in block)}


def shown_sql(column, expr: str) -> str:
    """SQL of how a value of `column` (a contract Column) is shown in quarantine and repairs."""
    if column.personal:
        return personal.mask_sql(MASK_OF_KIND[column.kind], expr)
    return scrubbed_sql(expr)


def shown(kind: str, value: str) -> str:
    """`shown_sql` in Python: a value of a column of `kind`."""
    return _PYTHON_MASK[kind](value) if kind in _PYTHON_MASK else personal.scrub(value)


def shown_line(spec, header: list[str], fields: tuple[str, ...], text: str) -> str:
    """A malformed line as quarantine shows it. A file without personal columns: the line,
    scrubbed. Otherwise field by field: in its column's way when the line has the header's
    number of fields; when it has not, a field's column is unknown, so any field that is not a
    plain code or key keeps only its first character."""
    personal_file = any(c.personal for c in spec.columns)
    if not personal_file:
        return _cut(personal.scrub(text))
    by_header = {c.header: c for c in spec.columns}
    aligned = len(fields) == len(header)
    out = []
    for i, value in enumerate(fields):
        column = by_header.get(header[i]) if aligned and i < len(header) else None
        if column is not None:
            out.append(shown(column.kind, value))
        elif _CJK.search(value) or not re.fullmatch(r"[0-9A-Za-z_.:\- ]*", value):
            out.append(personal.mask_name(value))
        else:
            out.append(personal.scrub(value))
    return _cut(",".join(out))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def scrub_text_sql(spec, raw: str) -> list[str]:
    """UPDATE statements masking ID and mobile numbers inside the free and short text columns of
    `raw`, in place (a Python call only for the values that may hold one)."""
    return [f"UPDATE {raw} SET {c.name} = etl_scrub({c.name}) WHERE {personal.candidate_sql(c.name)}"
            for c in spec.columns if c.kind in ("text", "string")]


def _problem_sql(spec, column) -> str:
    """The verdict on a personal number's clear value: '' or the failed rule's name."""
    v = column.name
    if column.kind == "phone":
        return f"CASE WHEN {v} = '' OR regexp_full_match({v}, '{PHONE}') THEN '' ELSE 'phone_format' END"
    names = {c.name for c in spec.columns}
    cases = [f"WHEN {v} = '' THEN ''",
             f"WHEN NOT regexp_full_match({v}, '{ID_NUMBER}') THEN 'id_format'",
             f"WHEN {personal.check_digit_sql(v)} <> right({v}, 1) THEN 'id_check_digit'"]
    if "birth_date" in names:     # only a birth date that is one: a bad date fails type_date
        cases.append(f"WHEN regexp_full_match(birth_date, '{DATE}') "
                     f"AND substr({v}, 7, 8) <> replace(birth_date, '-', '') THEN 'id_birth_mismatch'")
    if "sex" in names:
        cases.append(f"WHEN sex IN ('男', '女') AND (CAST(substr({v}, 17, 1) AS INTEGER) % 2 = 1) "
                     f"<> (sex = '男') THEN 'id_sex_mismatch'")
    return "CASE " + " ".join(cases) + " ELSE '' END"


def masking_sql(spec, raw: str) -> str:
    """SELECT over `raw` (repaired cells) with every personal column replaced by `<column>_masked`;
    an ID number also by `person_key`, its keyed hash (bind $ipad/$opad from hmac_pads), and ID
    and phone numbers judged on their clear value into `<column>_problem`."""
    cols = [c for c in spec.columns if c.personal]
    out = [f"{personal.mask_sql(MASK_OF_KIND[c.kind], c.name)} AS {c.name}_masked" for c in cols]
    out += [f"{_problem_sql(spec, c)} AS {c.name}_problem" for c in cols if c.kind in ("id_number", "phone")]
    ids = [c.name for c in cols if c.kind == "id_number"]
    if len(ids) > 1:
        raise ValueError(f"{spec.file}: one ID-number column per file (person_key)")
    for v in ids:
        out.append(f"CASE WHEN {v} = '' THEN '' ELSE sha256($opad || "
                   f"unhex(sha256($ipad || encode(upper({v}))))) END AS person_key")
    return f"SELECT * EXCLUDE ({', '.join(c.name for c in cols)}), {', '.join(out)} FROM {raw}"
