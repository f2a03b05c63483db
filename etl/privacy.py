"""Pseudonymisation and masking of personal data before anything is stored.

The served database never holds a full ID number, name or phone: it holds a keyed hash (HMAC-SHA256,
for linking the same person across files and runs) and a masked form for display. The key lives
outside the database, in a file only the ETL reads."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from etl.generate.identity import CHECK_CHARS, ID_WEIGHTS


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return key


def keyed_hash(values: pd.Series, key: bytes) -> pd.Series:
    return values.map(lambda v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest() if v else "")


def mask_id(values: pd.Series) -> pd.Series:
    """220204********1234: region and last four only."""
    return values.where(values.str.len() < 10, values.str[:6] + "********" + values.str[-4:])


def mask_phone(values: pd.Series) -> pd.Series:
    """138****1234."""
    return values.where(values.str.len() < 7, values.str[:3] + "****" + values.str[-4:])


def mask_name(values: pd.Series) -> pd.Series:
    """张* / 欧阳**: the first character only."""
    return values.where(values.str.len() < 1, values.str[:1] + values.str.len().sub(1).clip(lower=0)
                        .map(lambda k: "*" * k))


def id_number_problems(ids: pd.Series, birth: pd.Series, sex: pd.Series) -> pd.Series:
    """A rule name for each ID number that fails GB 11643-1999 or disagrees with the stated
    birth date or sex; '' where it is fine."""
    s = ids.str.strip().str.upper()
    shape_ok = s.str.fullmatch(r"\d{17}[\dX]").fillna(False)
    digits = np.zeros((len(s), 17), np.int64)
    ok_idx = np.flatnonzero(shape_ok.to_numpy())
    if len(ok_idx):
        digits[ok_idx] = np.frombuffer("".join(s.iloc[ok_idx].str[:17]).encode(), np.uint8) \
            .reshape(-1, 17) - ord("0")
    expected = np.array(list(CHECK_CHARS))[(digits @ ID_WEIGHTS) % 11]
    check_ok = shape_ok.to_numpy() & (expected == s.str[17:18].to_numpy())
    born = s.str[6:14]
    birth_ok = born == birth.str.replace("-", "", regex=False).str.strip()
    sex_digit = pd.to_numeric(s.str[16:17], errors="coerce")
    sex_ok = ((sex_digit % 2 == 1) & (sex == "男")) | ((sex_digit % 2 == 0) & (sex == "女"))
    return pd.Series(np.select(
        [~shape_ok.to_numpy(), ~check_ok, ~birth_ok.to_numpy(), ~sex_ok.to_numpy()],
        ["id_format", "id_check_digit", "id_birth_mismatch", "id_sex_mismatch"], ""), index=ids.index)


def pseudonymise_persons(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Replace name, ID number and phone by keyed hashes and masks; keep the ID's verdict."""
    out = frame.copy()
    ids = out["id_number"].str.strip().str.upper()
    out["id_problem"] = id_number_problems(ids, out["birth_date"], out["sex"])
    out["person_key"] = keyed_hash(ids, key)
    out["id_number_masked"] = mask_id(ids)
    out["name_masked"] = mask_name(out["name"].str.strip())
    out["phone_masked"] = mask_phone(out["phone"].str.strip())
    return out.drop(columns=["id_number", "name", "phone"])
