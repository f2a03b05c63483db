"""The work calendar as tables of the build: wh.core.workdays (working days numbered in order, so a
limit of N working days from a date is one join) and wh.ops.calendar_coverage (which calendar decided
each year's working days)."""
from __future__ import annotations

import datetime as dt
import logging

from etl import workcalendar

log = logging.getLogger(__name__)
WORKDAYS_FROM = dt.date(2015, 1, 1)     # before any record a centre keeps on line


def write_workdays(con) -> None:
    """Working days numbered in order: a limit of N working days from a date is one join (needs)."""
    days = workcalendar.workdays(WORKDAYS_FROM, dt.date.today() + dt.timedelta(days=3 * 366))
    con.execute("CREATE OR REPLACE TABLE wh.core.workdays AS SELECT day, row_number() OVER (ORDER BY day) AS n "
                "FROM (SELECT unnest(?::DATE[]) AS day)", [days])


def write_coverage(con) -> None:
    """wh.ops.calendar_coverage: per year with events or needs (reported, or due), which calendar
    decides its working days (NULL: none, Monday–Friday counted) and how many events and needs
    it holds; and next year from November on, before it has any, so a missing notice shows up
    while there is time to add it."""
    rows = con.execute("""
        WITH y AS (
            SELECT year(reported_at) AS year, 1 AS events, 0 AS needs FROM wh.core.events
            UNION ALL SELECT year(deadline), 0, 0 FROM wh.core.events WHERE deadline IS NOT NULL
            UNION ALL SELECT year(reported_date), 0, 1 FROM wh.core.needs
            UNION ALL SELECT year(deadline_date), 0, 0 FROM wh.core.needs WHERE deadline_date IS NOT NULL)
        SELECT year, sum(events)::BIGINT, sum(needs)::BIGINT FROM y GROUP BY year ORDER BY year""").fetchall()
    today = dt.date.today()
    if today.month >= 11 and today.year + 1 not in {r[0] for r in rows}:
        rows.append((today.year + 1, 0, 0))
    cal = workcalendar.load_calendar()
    table = [(year, workcalendar.source_of(year, cal), events, needs) for year, events, needs in rows]
    con.execute("CREATE OR REPLACE TABLE wh.ops.calendar_coverage (year INTEGER, source VARCHAR, "
                "events BIGINT, needs BIGINT)")
    if table:
        con.executemany("INSERT INTO wh.ops.calendar_coverage VALUES (?, ?, ?, ?)", table)
    for year, source_, events, needs in table:
        if source_ is None:
            log.warning("工作日历未覆盖 %d 年 (事件 %d, 需求 %d): 按周一至周五计算; 请在 %s 中添加该年",
                        year, events, needs, workcalendar.calendar_path())
