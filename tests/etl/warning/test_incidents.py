"""Incidents: change points (PELT), and the area an incident is reviewed in (where its excess is)."""
from __future__ import annotations

import numpy as np

from etl.warning import incidents


def test_pelt_finds_a_step():
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(0, 0.3, 60), rng.normal(1.5, 0.3, 40)]
    points = incidents.pelt(x, 2 * 0.3 ** 2 * np.log(len(x)) * 2)
    assert any(abs(p - 60) <= 2 for p in points) and len(points) <= 3


def test_an_incident_is_reviewed_where_its_excess_is():
    """Levels 0 grid … 2 street, 3 district. One grid's surge: its street and district alarm with
    the same excess, the grid is the main area, and among grids the strongest alert's."""
    area, level = np.array([10, 11, 20, 30, 30]), np.array([0, 0, 2, 3, 3])
    local = incidents.main_area(area, level, np.array([6.0, 1.0, 6.5, 3.5, 3.5]),
                                np.array([4.0, 5.0, 3.0, 2.0, 2.5]))
    assert local == 10                   # grid 11 scores higher but holds little of the excess
    spread = incidents.main_area(area, level, np.array([2.0, 1.0, 12.0, 10.0, 12.0]),
                                 np.array([4.0, 5.0, 3.0, 2.0, 2.5]))
    assert spread == 20                  # no grid holds half the district's excess: the street
    # a drop's deficit counts like an excess (its size, not its sign)
    assert incidents.main_area(area, level, np.array([-6.0, -1.0, -6.5, -3.5, -3.5]), np.ones(5)) == 10
