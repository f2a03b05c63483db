-- Events of the heatmap filter (same definition as heatmap__total.sql) per day reported: every
-- day of [$start, $stop), days without events as 0.
WITH days AS (
    -- include: window_days
), ev AS (
    SELECT CAST(reported_at AS DATE) AS day, count(*) AS events
    FROM core.events e
    WHERE
        -- include: event_filter
    GROUP BY ALL
)
SELECT days.day, coalesce(ev.events, 0) AS events
FROM days
LEFT JOIN ev USING (day)
ORDER BY days.day
