"""The period window and the event filter, one definition for every page and query.

A window is `[start, stop)`, bound to the SQL as $start and $stop (`x >= $start AND x < $stop`;
a DATE column compares as its midnight, so the same bounds serve dates and instants):
- `last_days(as_of, n)`: the last n days up to the data's as-of instant (近30日 on the big screen,
  the grid map, 事中研判, 为民服务): from midnight of the day n-1 days before the as-of day up to
  and including as_of (stop = as_of + 1 µs, DuckDB's resolution). No as-of (no data): NULL
  bounds, which match nothing. n None: all time up to as_of.
- `Window.of_days(first, last)`: whole days a viewer chose (事件查询, 事件热力).
The dates a browser sends are read by `parse_day` and kept to the data by `chosen_days`.

`EventFilter` is what the explorer and the heatmap filter events by; None means any. Its WHERE
is written once, sql/_event_filter.sql, included by the query loader."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from cockpit.db import Snapshot
from cockpit.queries.meta import generation

MICROSECOND = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)
MAX_DAYS_BACK = 3660        # a forged range of centuries would make every day a row: ten years


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


@dataclass(frozen=True)
class Window:
    start: dt.datetime | None       # inclusive
    stop: dt.datetime | None        # exclusive

    @classmethod
    def of_days(cls, first: dt.date, last: dt.date) -> "Window":
        """Whole days, first to last inclusive."""
        return cls(midnight(first), midnight(last) + DAY)

    @property
    def first_day(self) -> dt.date | None:
        return None if self.start is None else self.start.date()

    @property
    def last_day(self) -> dt.date | None:
        return None if self.stop is None else (self.stop - MICROSECOND).date()

    @property
    def days(self) -> int:
        """How many dates the window touches."""
        return 0 if self.start is None else (self.last_day - self.first_day).days + 1

    def params(self) -> dict:
        return {"start": self.start, "stop": self.stop}


def last_days(as_of, days: int | None) -> Window:
    """The last `days` days up to the as-of instant (see the module docstring). A date for as_of
    stands for its midnight: the window's first and last days are the same."""
    if as_of is None or pd.isna(as_of):
        return Window(None, None)
    as_of = pd.Timestamp(as_of).to_pydatetime()
    start = dt.datetime.min if days is None else midnight(as_of.date() - (int(days) - 1) * DAY)
    return Window(start, as_of + MICROSECOND)


def as_of(wh: Snapshot):
    """The served data's as-of instant (meta.as_of; None when there are no events yet)."""
    value = generation(wh)["as_of"]
    return None if value is None or pd.isna(value) else value


def window(wh: Snapshot, days: int | None) -> Window:
    """`last_days` of the served data: what every 'last N days' query binds."""
    return last_days(as_of(wh), days)


def parse_day(value) -> dt.date | None:
    """A date a browser sent ('YYYY-MM-DD', maybe with a time), or None."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def chosen_days(start, end, as_of_day: dt.date, default_days: int) -> Window:
    """The whole days a viewer asked for: an unreadable end falls back to the default period's
    (the last `default_days` days up to the as-of day); both ends are kept within
    MAX_DAYS_BACK days before the as-of day and not after it; reversed ends are swapped."""
    default = last_days(as_of_day, default_days)
    first, last = parse_day(start) or default.first_day, parse_day(end) or default.last_day
    floor = as_of_day - dt.timedelta(days=MAX_DAYS_BACK)
    first, last = (min(max(d, floor), as_of_day) for d in (first, last))
    return Window.of_days(*sorted((first, last)))


@dataclass(frozen=True)
class EventFilter:
    """Events reported in `window`, of these (whitelisted) values; None = any."""
    window: Window
    class_code: str | None = None
    subclass_code: str | None = None
    source: str | None = None
    status: str | None = None
    department: str | None = None

    def params(self) -> dict:
        return {**self.window.params(), "class_code": self.class_code, "subclass_code": self.subclass_code,
                "source": self.source, "status": self.status, "department": self.department}
