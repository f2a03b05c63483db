"""Injected incidents: the truth file agrees with the events it describes."""
import numpy as np
import pandas as pd

from demo.incidents import TRUTH_FILE


def test_truth_matches_the_injected_events(tiny_source):
    truth = pd.read_csv(tiny_source / TRUTH_FILE, dtype=str)
    events = pd.read_csv(tiny_source / "events.csv", dtype=str, keep_default_na=False)
    events["day"] = events["上报时间"].str[:10]
    assert len(truth) >= 6 and set(truth["type"]) == {"spike", "ramp", "step"}
    assert set(truth["n_grids"].astype(int)) == {1, 3, 7}
    for row in truth.itertuples():
        grids = row.grid_codes.split(";")
        assert len(grids) == int(row.n_grids)
        per_day = [int(x) for x in row.extra_per_day.split(";")]
        days = pd.date_range(row.start_date, row.end_date).strftime("%Y-%m-%d")
        assert len(per_day) == len(days) and sum(per_day) == int(row.extra_events)
        if row.type == "ramp":
            assert per_day == sorted(per_day) and per_day[-1] > per_day[0]
        hit = events[events["网格编码"].isin(grids) & (events["小类代码"] == row.subclass_code)]
        observed = hit.groupby("day").size().reindex(days, fill_value=0).to_numpy()
        assert (observed >= np.array(per_day)).all(), row.incident_id
        # the incident stands out against its own baseline
        assert observed.mean() > float(row.baseline_mean_per_day) + 1.5 * float(row.baseline_sd_per_day)
