"""Working time on the Chinese public-holiday calendar, vectorised.

Handling limits are set in working hours or working days (GB/T 30428): weekends and public holidays
do not count, make-up working days (调休) do. `chinese_calendar` knows the State Council's notices
for its covered years; outside them we fall back to Monday–Friday and say so once."""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar
import numpy as np

log = logging.getLogger(__name__)

# The office day: 08:30–12:00 and 13:30–17:30, 7.5 working hours.
WORK_PERIODS_MIN = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))
DAY_WORK_MIN = sum(b - a for a, b in WORK_PERIODS_MIN)


def is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_fallback(day.year)
        return day.weekday() < 5


def workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every working day from start to end, inclusive."""
    return [d for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
            if is_workday(d)]


@lru_cache(maxsize=None)
def _warn_fallback(year: int) -> None:
    log.warning("no holiday calendar for %s: counting Monday–Friday as working days", year)


class WorkCalendar:
    """Maps timestamps to cumulative working minutes and back, over a date range."""

    def __init__(self, start: dt.date, end: dt.date):
        self.days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        work = np.array([is_workday(d.astype(object)) for d in self.days])
        self.work_min_per_day = np.where(work, DAY_WORK_MIN, 0)
        # working minutes before the start of each day
        self.cum_before = np.concatenate([[0], np.cumsum(self.work_min_per_day)[:-1]])

    def _day_index(self, ts: np.ndarray) -> np.ndarray:
        idx = (ts.astype("datetime64[D]") - self.days[0]).astype(np.int64)
        if idx.min(initial=0) < 0 or idx.max(initial=0) >= len(self.days):
            raise ValueError("timestamp outside the working calendar's range")
        return idx

    def to_work_minutes(self, ts: np.ndarray) -> np.ndarray:
        """Working minutes elapsed from the calendar's start until each timestamp."""
        ts = ts.astype("datetime64[m]")
        idx = self._day_index(ts)
        minute = (ts - ts.astype("datetime64[D]")).astype(np.int64)
        within = np.zeros(len(ts), np.int64)
        for a, b in WORK_PERIODS_MIN:
            within += np.clip(minute - a, 0, b - a)
        within = np.where(self.work_min_per_day[idx] > 0, within, 0)
        return self.cum_before[idx] + within

    def from_work_minutes(self, wm: np.ndarray) -> np.ndarray:
        """The first instant at which the given number of working minutes has elapsed."""
        wm = np.asarray(wm, np.int64)
        total = self.cum_before[-1] + self.work_min_per_day[-1]
        if wm.max(initial=0) > total:
            raise ValueError("working time runs past the calendar's end")
        # the day whose working span contains wm (a day with zero minutes never matches)
        idx = np.searchsorted(self.cum_before + self.work_min_per_day, wm, side="left")
        rest = wm - self.cum_before[idx]
        (a1, b1), (a2, _) = WORK_PERIODS_MIN
        minute = np.where(rest <= b1 - a1, a1 + rest, a2 + rest - (b1 - a1))
        return self.days[idx].astype("datetime64[m]") + minute.astype("timedelta64[m]")

    def add_work_minutes(self, ts: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        return self.from_work_minutes(self.to_work_minutes(ts) + np.asarray(minutes, np.int64))

    def add_work_days(self, ts: np.ndarray, days: np.ndarray) -> np.ndarray:
        """End of the working day that is `days` working days after the day of `ts`."""
        wm = self.to_work_minutes(ts)
        # round up to the end of the current working day, then add whole days
        idx = self._day_index(ts.astype("datetime64[m]"))
        end_of_day = self.cum_before[idx] + self.work_min_per_day[idx]
        start = np.where(self.work_min_per_day[idx] > 0, end_of_day, wm)
        return self.from_work_minutes(start + np.asarray(days, np.int64) * DAY_WORK_MIN)
