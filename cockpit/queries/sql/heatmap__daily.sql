-- Events of the heatmap filter (same definition as heatmap__total.sql) per day reported: every
-- day of [$start, $stop), days without events as 0.
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM unnest(generate_series(CAST($start AS TIMESTAMP), CAST($stop AS TIMESTAMP) - INTERVAL 1 DAY,
                                INTERVAL 1 DAY)) t(d)
), ev AS (
    SELECT CAST(reported_at AS DATE) AS day, count(*) AS events
    FROM events
    WHERE starts_with(grid_code, $scope)
      AND reported_at >= $start AND reported_at < $stop
      AND ($class_code = '' OR class_code = $class_code)
      AND ($subclass_code = '' OR subclass_code = $subclass_code)
    GROUP BY ALL
)
SELECT days.day, coalesce(ev.events, 0) AS events
FROM days
LEFT JOIN ev USING (day)
ORDER BY days.day
