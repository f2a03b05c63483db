"""The screen: its budget, drops apart, new incidents first."""
from __future__ import annotations

from etl.warning import screen, track
from tests.etl.warning.helpers import shipped_settings


def test_the_screen_keeps_its_budget_drops_apart_new_first():
    s = shipped_settings(max_items=5, max_drop_items=2)
    shown = [track.Incident(f"E{i}", "excess", True, first=10 - i, last=10, peak=5 + i) for i in range(6)]
    shown += [track.Incident(f"D{i}", "drop", True, first=1, last=10, peak=4 + i) for i in range(4)]
    for inc in shown:
        inc.scores[10] = inc.peak
    rows = screen.show(shown, 10, s)
    on = [r for r in rows if r["on_screen"]]
    assert len(on) == 5 and sum(r["kind"] == "drop" for r in on) == 2
    excess = [r for r in on if r["kind"] != "drop"]
    assert [r["new"] for r in excess] == sorted([r["new"] for r in excess], reverse=True)
    assert excess[0]["incident_id"] in {"E0", "E1", "E2"}          # new (first within 3 days) first
