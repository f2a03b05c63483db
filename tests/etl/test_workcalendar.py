import datetime as dt

import numpy as np

from etl.workcalendar import DAY_WORK_MIN, WorkCalendar, is_workday

CAL = WorkCalendar(dt.date(2025, 9, 1), dt.date(2025, 12, 31))


def ts(*values):
    return np.array(values, dtype="datetime64[m]")


def test_holiday_and_makeup_days():
    assert not is_workday(dt.date(2025, 10, 1))       # National Day
    assert is_workday(dt.date(2025, 9, 28))            # a Sunday made a working day (调休)
    assert not is_workday(dt.date(2025, 9, 27))        # an ordinary Saturday


def test_working_hours_skip_lunch_night_and_golden_week():
    # 4 working hours from Tuesday 30 Sep 2025 16:30: 1 h that day, then the National Day and
    # Mid-Autumn holiday (1–8 Oct), then 3 h on Thursday 9 Oct from 08:30 → 11:30
    out = CAL.add_work_minutes(ts("2025-09-30T16:30"), np.array([240]))
    assert out[0] == np.datetime64("2025-10-09T11:30")
    # across lunch: 11:00 + 2 h = 14:30
    assert CAL.add_work_minutes(ts("2025-11-04T11:00"), np.array([120]))[0] == \
        np.datetime64("2025-11-04T14:30")
    # a report on Saturday starts counting on Monday morning
    assert CAL.add_work_minutes(ts("2025-11-08T10:00"), np.array([60]))[0] == \
        np.datetime64("2025-11-10T09:30")


def test_working_days():
    # 5 working days from Monday 3 Nov 2025 → end of Monday 10 Nov
    assert CAL.add_work_days(ts("2025-11-03T09:00"), np.array([5]))[0] == \
        np.datetime64("2025-11-10T17:30")


def test_round_trip_and_monotone():
    rng = np.random.default_rng(0)
    start = np.datetime64("2025-09-01T00:00")
    t = start + rng.integers(0, 60 * 24 * 100, 5000).astype("timedelta64[m]")
    wm = CAL.to_work_minutes(t)
    order = np.argsort(t)
    assert (np.diff(wm[order]) >= 0).all()
    back = CAL.from_work_minutes(wm)
    assert (CAL.to_work_minutes(back) == wm).all()
    assert CAL.to_work_minutes(ts("2025-09-02T00:00"))[0] == DAY_WORK_MIN
