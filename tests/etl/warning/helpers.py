"""Helpers shared by the early-warning tests (imported, never a test module)."""
from __future__ import annotations

import dataclasses

import pandas as pd

from etl.warning.settings import DEFAULT_FILE, Settings, load


def shipped_settings(**kw) -> Settings:
    """The settings shipped in etl/warning/settings.toml, with `kw` replaced."""
    return dataclasses.replace(load(DEFAULT_FILE), **kw)


def drop_kept(con) -> None:
    """No detections or incidents' reviews kept in the attached `wh`."""
    drop_warning_tables(con, ("detections", "detection_days", "incident_reviews"))


def drop_warning_tables(con, names) -> None:
    """Drop the warning tables `names` of the attached `wh` (a stored table is a view there)."""
    for name in names:
        (kind,) = con.execute("SELECT coalesce(max(kind), '') FROM (SELECT 'VIEW' AS kind FROM duckdb_views() "
                              "WHERE database_name = 'wh' AND schema_name = 'warning' AND view_name = $n UNION ALL "
                              "SELECT 'TABLE' FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = "
                              "'warning' AND table_name = $n)", {"n": name}).fetchone()
        if kind:
            con.execute(f"DROP {kind} wh.warning.{name}")


def assert_warnings_equal(got: dict, expected: dict) -> None:
    """Two runs' warning tables equal to the bit, but for which days each detection tested (not the
    same, by design: what one run kept, the other tested)."""
    for name, table in expected.items():
        mine = got[name]
        if name == "detection_days":
            mine, table = mine.drop(columns="tested"), table.drop(columns="tested")
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), table.reset_index(drop=True),
                                      check_exact=True, obj=name)
