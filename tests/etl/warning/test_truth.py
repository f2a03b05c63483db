"""The truth format: a file this project did not write, and which alarms explain a truth incident."""
from __future__ import annotations

import numpy as np
import pytest

from etl.warning import truth


def test_a_truth_file_this_project_did_not_write(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text("\ufeffgrid_codes,type,end_date,start_date,incident_id,direction,subclass_code,source\n"
                    "220204001001001|220204001001002,storm,2026-05-03,2026-05-01,X1,,0501;0502 0602,\n"
                    "220204001001003,silence,2026-06-20,2026-06-01,X2,drop,,网格员巡查\n", encoding="utf-8")
    t = truth.read(path)
    assert list(t["incident_id"]) == ["X1", "X2"]
    assert t.loc[0, "grid_codes"] == ("220204001001001", "220204001001002")
    assert t.loc[0, "subclasses"] == ("0501", "0502", "0602") and t.loc[0, "direction"] == "excess"
    assert t.loc[1, "direction"] == "drop" and t.loc[1, "source"] == "网格员巡查"
    path.write_text("incident_id,type,start_date,end_date\nX,spike,2026-01-01,2026-01-02\n", encoding="utf-8")
    with pytest.raises(truth.TruthError, match="grid_codes"):
        truth.read(path)
    path.write_text("incident_id,type,start_date,end_date,grid_codes,direction\n"
                    "X,spike,2026-01-05,2026-01-02,220204001001001,\n", encoding="utf-8")
    with pytest.raises(truth.TruthError, match="end_date"):
        truth.read(path)
    path.write_text("incident_id,type,start_date,end_date,grid_codes,direction\n"
                    "X,spike,2026-01-01,2026-01-02,220204001001001,sideways\n", encoding="utf-8")
    with pytest.raises(truth.TruthError, match="direction"):
        truth.read(path)


def test_an_alarm_belongs_to_a_truth_incident_only_if_it_explains_half_of_it():
    """One grid with 6 extra reports: its grid alarm is its own; a district alarm whose excess is
    60 (a season misfit) is not, though it holds the grid; a drop alarm never is."""
    e = truth.Effect("K", "excess", 10, 12, np.array([0]), ("0101",), False, 0,
                     {"0101": np.r_[np.zeros(10), [2, 2, 2], np.zeros(5)][None]},
                     {"0101": np.full((1, 18), 0.05)}, {"0101": np.full((1, 18), 0.05)})
    mask = np.ones(3, bool)
    own = e.contribution(["0101"], mask, 10, 12)
    assert own == pytest.approx(6 - 0.15)
    assert own >= truth.EXPLAINED * (6 - 0.3)
    assert own < truth.EXPLAINED * 60
    assert e.contribution(["0102"], mask, 10, 12) == 0 and e.contribution(["0101"], mask, 20, 25) == 0
