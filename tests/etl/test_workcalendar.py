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


# ---------------------------------------------------------------------------------------------
# The calendar file beside the library

import shutil  # noqa: E402

import chinese_calendar  # noqa: E402
import duckdb  # noqa: E402
import pytest  # noqa: E402

from etl import workcalendar  # noqa: E402
from warehouse import state  # noqa: E402

WORK_CALENDAR = state.default("work_calendar")


def test_the_shipped_calendar_file_is_the_state_councils_2026_notice():
    """The example in data/work_calendar.toml decides 2026 exactly as the library does."""
    cal = workcalendar.load_calendar(WORK_CALENDAR)
    assert 2026 in cal.years
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        assert workcalendar.is_workday(day, cal) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


NEXT_YEAR = """
[[years]]
year = 2027
holidays = [
    { name = "元旦", from = 2027-01-01, to = 2027-01-03, workdays = [] },
    { name = "春节", from = 2027-02-05, to = 2027-02-11, workdays = [2027-02-14] },
]
"""


def test_a_year_added_to_the_file_is_covered(tmp_path, monkeypatch):
    path = tmp_path / "calendar.toml"
    path.write_text(WORK_CALENDAR.read_text(encoding="utf-8") + NEXT_YEAR, encoding="utf-8")
    monkeypatch.setenv("ETL_WORK_CALENDAR", str(path))
    assert workcalendar.source_of(2027) == "file" and workcalendar.source_of(2025).startswith("chinese-calendar")
    assert workcalendar.source_of(2031) is None
    assert not is_workday(dt.date(2027, 2, 8))           # a Monday in the Spring Festival
    assert is_workday(dt.date(2027, 2, 14))              # a Sunday made a working day
    assert is_workday(dt.date(2027, 3, 1)) and not is_workday(dt.date(2027, 3, 6))
    before = workcalendar.digest()
    path.write_text(path.read_text(encoding="utf-8").replace("2027-02-11", "2027-02-12"), encoding="utf-8")
    assert workcalendar.digest() != before and not is_workday(dt.date(2027, 2, 12))


def test_an_unreadable_calendar_stops_the_run(tmp_path, monkeypatch):
    from etl.exitcodes import exit_code
    path = tmp_path / "calendar.toml"
    path.write_text('[[years]]\nyear = 2027\nholidays = [{ name = "春节", from = 2027-02-11, to = 2027-02-05 }]\n',
                    encoding="utf-8")
    monkeypatch.setenv("ETL_WORK_CALENDAR", str(path))
    with pytest.raises(workcalendar.CalendarError, match="from ≤ to") as err:
        workcalendar.workdays(dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert exit_code(err.value) == 2


def _deadlines(warehouse) -> dict:
    from warehouse.generations import current
    with duckdb.connect(str(current(warehouse).path), read_only=True) as con:
        return dict(con.execute("SELECT need_id, deadline_date FROM core.needs").fetchall())


def test_a_changed_calendar_recomputes_deadlines_on_the_next_refresh(tiny_source, key_file, tmp_path,
                                                                      monkeypatch, capsys):
    """A holiday added to the file moves the needs' deadlines on the next refresh, an incremental
    one without any new update file too, to what a full build computes; a year no calendar
    covers is reported by `etl status`."""
    from etl.__main__ import main
    from etl.refresh import refresh
    path = tmp_path / "calendar.toml"
    shutil.copyfile(WORK_CALENDAR, path)
    monkeypatch.setenv("ETL_WORK_CALENDAR", str(path))
    wh = tmp_path / "wh"
    refresh(tiny_source, wh, key_file)
    before = _deadlines(wh)
    # a day off on the working day most deadlines of 2026 fall on
    busiest = max((d for d in before.values() if d and d.year == 2026 and d.month < 12),
                  key=list(before.values()).count)
    text = path.read_text(encoding="utf-8").replace(
        'workdays = [] },\n    { name = "劳动节"',
        f'workdays = [] }},\n    {{ name = "测试", from = {busiest}, to = {busiest}, workdays = [] }},\n'
        '    { name = "劳动节"')
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert refresh(tiny_source, wh, key_file, incremental=True).status == "published"
    after = _deadlines(wh)
    moved = [k for k in before if before[k] != after[k]]
    assert moved and all(after[k] > before[k] for k in moved) and busiest not in after.values()
    full = tmp_path / "full"
    refresh(tiny_source, full, key_file)
    assert _deadlines(full) == after
    assert refresh(tiny_source, wh, key_file, incremental=True).status == "unchanged"
    # a year of data that no calendar covers
    monkeypatch.setattr(workcalendar, "_library_knows", lambda year: False)
    path.write_text("", encoding="utf-8")
    assert refresh(tiny_source, wh, key_file, incremental=True).status == "published"
    capsys.readouterr()
    main(["status", "--warehouse", str(wh)])
    out = capsys.readouterr().out
    assert "工作日历未覆盖 2026 年" in out and "事件" in out
