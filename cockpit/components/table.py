"""Rows for a DataTable."""
from __future__ import annotations

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe rows: missing values as None (shown blank), numpy numbers as Python's."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
