-- Events of the heatmap filter (same definition as heatmap__total.sql) by ISO weekday of
-- reported_at (1 = 周一 … 7 = 周日) and hour of day (0–23): all 168 cells, empty ones as 0.
WITH ev AS (
    SELECT isodow(reported_at) AS dow, hour(reported_at) AS hour, count(*) AS events
    FROM core.events e
    WHERE
        -- include: event_filter
    GROUP BY ALL
)
SELECT d.dow::INTEGER AS dow, h.hour::INTEGER AS hour, coalesce(ev.events, 0) AS events
FROM range(1, 8) d(dow)
CROSS JOIN range(0, 24) h(hour)
LEFT JOIN ev ON ev.dow = d.dow AND ev.hour = h.hour
ORDER BY dow, hour
