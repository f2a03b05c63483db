"""Unified social credit codes (GB 32100-2015) with their organisation-code part (GB 11714-1997),
drawn unique and valid for the demo's organisations and property firms. The code's definition is
the ETL's check (etl/load/values.py); here vectorised for drawing codes."""
from __future__ import annotations

import numpy as np

from etl.load.values import CREDIT_CHARS, CREDIT_WEIGHTS as _CREDIT_WEIGHTS

CREDIT_WEIGHTS = np.array(_CREDIT_WEIGHTS)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def org_check_char(body8: str) -> str:
    """Check character (9th) of an organisation code (GB 11714-1997): digits and A=10 … Z=35."""
    if len(body8) != 8 or not body8.isalnum() or not body8.isascii():
        raise ValueError(f"need 8 digits or capital letters, got {body8!r}")
    s = sum((int(c) if c.isdigit() else ord(c.upper()) - 55) * int(w) for c, w in zip(body8, ORG_WEIGHTS))
    r = 11 - s % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def make_credit_codes(region: np.ndarray, rng: np.random.Generator,
                      kind: np.ndarray | None = None, slot: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Unique unified social credit codes registered in the given 6-digit regions; `kind` is the
    登记管理部门 + 机构类别 pair per code (default "91": 市场监管, 企业); the organisation-code
    part (characters 9–17) carries its own GB 11714 check character; newer firms have bodies
    starting MA. Vectorised: the city has some 100,000 organisations. With slot (k, K) the
    organisation-code body is k modulo K, so K generators never draw the same code."""
    n = len(region)
    kind = np.full(n, "91") if kind is None else np.asarray(kind).astype("U2")
    head = np.char.add(kind, np.asarray(region).astype("U6"))
    codes = _credit_codes(head, rng, slot)
    for _ in range(20):
        _, first = np.unique(codes, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            return codes
        codes[dup] = _credit_codes(head[dup], rng, slot)
    raise RuntimeError("could not draw unique credit codes")


_CREDIT_VALUE = np.full(128, -1)
_CREDIT_VALUE[[ord(c) for c in CREDIT_CHARS]] = np.arange(len(CREDIT_CHARS))


def _credit_codes(head: np.ndarray, rng: np.random.Generator, slot: tuple[int, int]) -> np.ndarray:
    """head (kind + region, 8 characters) + a random organisation code + check characters."""
    n = len(head)
    k, n_slots = slot
    letters = np.array(list(CREDIT_CHARS))
    is_new = rng.random(n) < 0.45
    # old bodies: 8 digits, the first not 0; new: MA + 6 characters (base 31); both ≡ k mod K
    old = k + n_slots * rng.integers(-(-(10**7 - k) // n_slots), (10**8 - 1 - k) // n_slots + 1, n)
    old_body = np.column_stack([(old // 10**i % 10).astype("U1") for i in range(7, -1, -1)])
    fresh = k + n_slots * rng.integers(0, (31**6 - 1 - k) // n_slots + 1, n)
    new_body = np.column_stack([np.full(n, "M"), np.full(n, "A")]
                               + [letters[fresh // 31**i % 31] for i in range(5, -1, -1)])
    body = np.where(is_new[:, None], new_body, old_body)               # n × 8 characters
    o = body.view(np.uint32).astype(np.int64)                          # code points
    org_value = np.where(o <= ord("9"), o - ord("0"), o - 55)
    r = 11 - (org_value @ ORG_WEIGHTS) % 11
    org_check = np.where(r == 10, "X", np.where(r == 11, "0", (r % 10).astype("U1"))).astype("U1")
    first17 = np.ascontiguousarray(np.column_stack(
        [np.ascontiguousarray(head.astype("U8")).view("U1").reshape(n, 8), body, org_check]).astype("U1"))
    value = _CREDIT_VALUE[first17.view(np.uint32).astype(np.int64)]
    check = letters[(31 - (value @ CREDIT_WEIGHTS) % 31) % 31]
    full = np.ascontiguousarray(np.column_stack([first17, check]).astype("U1"))
    return full.view("U18").ravel()
