"""An incident's course kept from one run to the next: the reports, baseline and after-analysis
of the days around an incident are computed again only when those days' inputs changed.

An incident's review (build._review) reads its subject's reports and expectation on its main area
over the days [lo, hi), from `incidents.BEFORE` days before its first day to `incidents.AFTER`
after its last (or to the last day there is), then runs the after-analysis (PELT's loop) and the
upper bound: most of the warning step's time at city scale, on incidents that mostly ended weeks
ago. The baseline of a day reads only the days before it (baseline.py), so those numbers are the
same in any run whose inputs of the days before `hi` did not change, nor its code and structure:
what detections.py's digests establish, as the first day a run must detect again (`start`). Each
generation keeps the span of each incident's review (`warning.incident_reviews`); the numbers are
its own incident tables' (`warning.incidents`' after-analysis, `warning.incident_days`' reports,
expected and upper bound), read back as they were computed (tests/etl/warning/test_reviews.py)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from etl.warning import catalog, incidents
from etl.warning.prepare import Prepared

# what the kept numbers are computed by (`compute`), beyond what detection reads (detections.CODE)
CODE = [Path(__file__).with_name(f"{m}.py") for m in ("incidents", "reviews")]
AFTER_COLUMNS = ["excess", "excess_low", "excess_high", "peak_ratio", "peak_offset", "days_to_baseline",
                 "level_before", "slope_before", "level_after", "slope_after"]
COLUMNS = ["incident_id", "subject", "main", "from_day", "days", "first_day", "last_day", "inputs"]


def digest(detection_inputs: str) -> str:
    h = hashlib.sha256(detection_inputs.encode())
    for path in CODE:
        h.update(path.read_bytes())
    return h.hexdigest()[:32]


def span(codes: tuple, main: int, lo: int, hi: int, first: int, last: int) -> tuple:
    """What a review's numbers are a function of, beyond the days before `hi` (`compute`)."""
    return tuple(str(c) for c in codes), int(main), int(lo), int(hi), int(first), int(last)


def compute(p: Prepared, key: tuple) -> tuple:
    """A review's numbers afresh: (after-analysis, reports, expected, upper bound) over its span."""
    codes, main, lo, hi, first, last = key
    y, mu, var = incidents.series(p, codes, main, lo, hi)
    return incidents.after(y, mu, var, first - lo, last - lo, hi - lo), y, mu, incidents.upper_bound(mu, var)


def table(spans: dict[str, tuple], days: pd.DatetimeIndex, inputs: str) -> pd.DataFrame:
    """This run's reviews' spans, by incident (`warning.incident_reviews`)."""
    rows = [(key, list(codes), main, days[lo], hi - lo, days[first], days[last], inputs)
            for key, (codes, main, lo, hi, first, last) in sorted(spans.items())]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"main": "int32", "days": "int32", "from_day": "datetime64[s]",
                         "first_day": "datetime64[s]", "last_day": "datetime64[s]"})


def load(con, days: pd.DatetimeIndex, inputs: str, start: int) -> dict[tuple, tuple]:
    """The reviews the generation in `wh` keeps that this run may use: computed from the same code
    and structure, over days all before `start`. span → (after-analysis, reports, expected, upper)."""
    if not {"incident_reviews", "incidents", "incident_days"} <= set(catalog.present(con)):
        return {}
    spans = con.execute("SELECT * FROM wh.warning.incident_reviews WHERE inputs = $inputs",
                        {"inputs": inputs}).df()
    lo = days.get_indexer(pd.DatetimeIndex(spans["from_day"]))
    spans = spans[(lo >= 0) & (lo + spans["days"].to_numpy() <= start)]
    if spans.empty:
        return {}
    con.register("kept_reviews", spans[["incident_id"]])
    try:
        after = con.execute(f"SELECT incident_id, {', '.join(AFTER_COLUMNS)}, change_points FROM wh.warning.incidents "
                            "WHERE incident_id IN (SELECT incident_id FROM kept_reviews)").df()
        course = con.execute("SELECT incident_id, day, reported, expected, upper FROM wh.warning.incident_days "
                             "WHERE incident_id IN (SELECT incident_id FROM kept_reviews) "
                             "ORDER BY incident_id, day").df()
    finally:
        con.unregister("kept_reviews")
    after = after.set_index("incident_id")
    courses = {key: frame for key, frame in course.groupby("incident_id", sort=False)}
    out = {}
    for row in spans.itertuples():
        key = span(row.subject, row.main, days.get_loc(row.from_day), days.get_loc(row.from_day) + row.days,
                   days.get_loc(row.first_day), days.get_loc(row.last_day))
        mine = courses.get(row.incident_id)
        if row.incident_id not in after.index or mine is None or len(mine) != row.days:
            continue                        # an incident table of another shape: computed anew
        a = after.loc[row.incident_id]
        res = {c: float(a[c]) for c in AFTER_COLUMNS}
        res["peak_offset"] = int(a["peak_offset"])
        res["days_to_baseline"] = None if pd.isna(a["days_to_baseline"]) else int(a["days_to_baseline"])
        res["change_points"] = [int(days.get_loc(pd.Timestamp(d))) - key[2]
                                for d in (a["change_points"].split(";") if a["change_points"] else [])]
        out[key] = (res, *(mine[c].to_numpy(float) for c in ("reported", "expected", "upper")))
    return out
