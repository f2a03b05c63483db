-- Events per day reported for the explorer's filters (sql/_event_filter.sql); their sum is the
-- total count of matching events shown above the table.
SELECT e.reported_at::DATE AS day, count(*) AS events
FROM core.events e
WHERE
    -- include: event_filter
GROUP BY day
ORDER BY day
