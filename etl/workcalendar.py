"""Working time on the Chinese public-holiday calendar, vectorised.

Handling limits are set in working hours or working days (GB/T 30428): weekends and public holidays
do not count, make-up working days (调休) do. Two sources, in this order:

1. the calendar file (`data/work_calendar.toml`, or the file named by ETL_WORK_CALENDAR): the
   State Council's annual notices as a centre copies them, one [[years]] block per year (the
   library lags the notice, and a centre must be able to add a year without code);
2. the `chinese-calendar` library, for the years it knows (1.11.0: 2004–2026).

A year neither knows counts Monday–Friday; `coverage` says which years those are, so the build can
record them and 数据健康 / `etl status` warn. The `holidays` package (0.108) was considered as a
second library: for China it has the notices only up to 2026 and computes later years from the
statutory festival days alone, without the notice's bridging days and make-up working days, so
a year it "covers" would be wrong in exactly the weeks that matter; it is not used."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import numpy as np

from etl.exitcodes import ExitCode, Failure
from warehouse import state

log = logging.getLogger(__name__)

# The office day: 08:30–12:00 and 13:30–17:30, 7.5 working hours.
WORK_PERIODS_MIN = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))
DAY_WORK_MIN = sum(b - a for a, b in WORK_PERIODS_MIN)
LIBRARY = f"chinese-calendar {getattr(chinese_calendar, '__version__', '?')}"


class CalendarError(Failure):
    """The calendar file cannot be read (like a source file)."""
    exit_code = ExitCode.SOURCE_ERROR


@dataclass(frozen=True)
class CalendarFile:
    path: Path
    years: frozenset[int]             # the years it decides
    off: frozenset[dt.date]           # holidays
    on: frozenset[dt.date]            # make-up working days
    digest: str                       # of its bytes ("" when there is no file)


def calendar_path() -> Path:
    return state.locate(os.environ)["work_calendar"]


def load_calendar(path: Path | None = None) -> CalendarFile:
    path = Path(path or calendar_path())
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return CalendarFile(path, frozenset(), frozenset(), frozenset(), "")
    return _parse(path, data, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _parse(path: Path, data: bytes, _mtime: int) -> CalendarFile:
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalendarError(f"{path}: 无法读取工作日历 ({exc})") from None
    years, off, on = set(), set(), set()
    for block in doc.get("years", []):
        year = block.get("year")
        if not isinstance(year, int) or year in years:
            raise CalendarError(f"{path}: 每个 [[years]] 需要唯一的 year = 年份 (got {year!r})")
        years.add(year)
        for h in block.get("holidays", []):
            first, last, work = h.get("from"), h.get("to"), h.get("workdays", [])
            if not (isinstance(first, dt.date) and isinstance(last, dt.date) and first <= last
                    and all(isinstance(d, dt.date) for d in work)):
                raise CalendarError(f"{path}: {year} {h.get('name', '?')}: 需要 from ≤ to 与 workdays "
                                    "日期 (from, to and workdays must be dates, from ≤ to)")
            off.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
            on.update(work)
    return CalendarFile(path, frozenset(years), frozenset(off), frozenset(on),
                        hashlib.sha256(data).hexdigest())


@lru_cache(maxsize=None)
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def source_of(year: int, cal: CalendarFile | None = None) -> str | None:
    """Which source decides `year`: "file", LIBRARY, or None (Monday–Friday)."""
    cal = cal or load_calendar()
    return "file" if year in cal.years else LIBRARY if _library_knows(year) else None


def is_workday(day: dt.date, cal: CalendarFile | None = None) -> bool:
    cal = cal or load_calendar()
    if day in cal.on:
        return True
    if day in cal.off:
        return False
    if day.year in cal.years:
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_fallback(day.year)
        return day.weekday() < 5


def workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every working day from start to end, inclusive."""
    cal = load_calendar()
    return [d for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
            if is_workday(d, cal)]


def digest() -> str:
    """What the working days depend on: the calendar file's bytes and the library's version. A
    change makes the next refresh recompute deadlines."""
    return hashlib.sha256(f"{load_calendar().digest}|{LIBRARY}".encode()).hexdigest()


@lru_cache(maxsize=None)
def _warn_fallback(year: int) -> None:
    log.info("no holiday calendar for %s: counting Monday–Friday as working days "
                "(add the year to %s)", year, calendar_path())


class WorkCalendar:
    """Maps timestamps to cumulative working minutes and back, over a date range."""

    def __init__(self, start: dt.date, end: dt.date):
        self.days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        cal = load_calendar()
        work = np.array([is_workday(d.astype(object), cal) for d in self.days])
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
