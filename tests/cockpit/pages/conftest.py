"""Fixtures the page tests share: a module that needs other data defines its own `data`."""
import duckdb
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def data(tiny_db):
    """The tiny warehouse's as-of, events and street codes, read straight from the file."""
    con = duckdb.connect(str(tiny_db), read_only=True)
    as_of = pd.Timestamp(con.execute("SELECT as_of FROM ops.meta").fetchall()[0][0])
    ev = con.execute("SELECT * FROM core.events").df()
    streets = [r[0] for r in con.execute(
        "SELECT code FROM core.areas WHERE level = 'street' ORDER BY code").fetchall()]
    con.close()
    return {"as_of": as_of, "events": ev, "streets": streets}
