"""Which build is being served and the instant its data run up to."""
from __future__ import annotations

from cockpit.db import Snapshot


def generation(wh: Snapshot) -> dict:
    row = wh.query("SELECT run_id, built_at, as_of FROM ops.meta").iloc[0]
    return {"run_id": row["run_id"], "built_at": row["built_at"], "as_of": row["as_of"]}
