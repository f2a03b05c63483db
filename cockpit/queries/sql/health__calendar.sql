-- Years with events or needs (reported or due) and the work calendar that decides their working
-- days: the calendar file, the chinese-calendar library, or none (NULL: Monday–Friday counted,
-- holidays and make-up days missed), as the ETL recorded them (wh.ops.calendar_coverage).
SELECT year, source, events, needs
FROM ops.calendar_coverage
ORDER BY year
