"""The CSV export runs no formula in a spreadsheet (OWASP's CSV injection): a free-text cell
starting with = + - @ or a tab/CR gets an apostrophe; everything else is left as it was."""
import csv
import io

import pandas as pd
from hypothesis import given, settings, strategies as st

from cockpit.queries import explorer

TEXT = st.text(alphabet=st.sampled_from(list("=+-@\t\r 0123456789abc网格事件\"',;")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=5))
def test_no_exported_cell_starts_a_formula_and_the_rest_is_unchanged(texts):
    frame = pd.DataFrame({c: [texts[0]] * len(texts) for c in explorer.COLUMNS})
    frame["address"] = texts
    for c in explorer.TIME_COLUMNS:
        frame[c] = pd.NaT
    table = list(csv.reader(io.StringIO(explorer.csv_bytes(frame).decode("utf-8-sig"), newline="")))
    column = list(explorer.COLUMNS).index("address")
    for text, row in zip(texts, table[1:]):
        cell = row[column]
        assert not cell.startswith(explorer.FORMULA_START)
        assert cell == ("'" + text if text.startswith(explorer.FORMULA_START) else text)
