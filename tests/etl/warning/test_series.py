"""The series' calendar: season columns over the new year, with their first days."""
from __future__ import annotations

import numpy as np

from etl.warning.series import period_columns
from etl.warning.settings import Period


def test_period_columns_run_over_the_new_year_and_know_their_first_days():
    days = np.arange(np.datetime64("2024-10-20"), np.datetime64("2025-04-10"))
    cols = period_columns(days, [Period("供暖期", (10, 25), (4, 5), 21)])
    inside, week, rest = cols.T.astype(bool)
    assert days[inside][0] == np.datetime64("2024-10-25") and days[inside][-1] == np.datetime64("2025-04-05")
    assert inside[days == np.datetime64("2025-01-01")].all()
    assert week.sum() == 7 and days[week][0] == np.datetime64("2024-10-25")
    assert rest.sum() == 14 and days[rest][-1] == np.datetime64("2024-11-14")
    # a span that opens inside the season cannot see its start: no onset days
    later = period_columns(days[30:], [Period("供暖期", (10, 25), (4, 5), 21)])
    assert later[:, 1:].sum() == 0 and later[:, 0].sum() == inside[30:].sum()
