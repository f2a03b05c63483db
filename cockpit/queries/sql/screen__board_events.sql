-- Each board's events (event_categories.board: 党建 / 平安 / 民生 / 企业), in one pass over
-- mart_event_sla: reported in the last $days days, open now, overdue now, and 应结案 / 结案 in the
-- window (as screen__kpis.sql). A board with no events in the scope has no row.
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta)
SELECT
    c.board,
    count(*) FILTER (s.reported_at >= w.start_day AND s.reported_at <= w.as_of)      AS reported,
    count(*) FILTER (s.is_open)                                                       AS open,
    count(*) FILTER (s.overdue_open)                                                  AS overdue_open,
    count(*) FILTER (s.accepted_at IS NOT NULL AND s.deadline >= w.start_day
                     AND s.deadline <= w.as_of)                                       AS due,
    count(*) FILTER (s.accepted_at IS NOT NULL AND s.deadline >= w.start_day
                     AND s.deadline <= w.as_of AND s.is_closed)                       AS closed
FROM mart_event_sla s
JOIN event_categories c USING (subclass_code)
CROSS JOIN win w
WHERE starts_with(s.grid_code, $scope) AND c.board IS NOT NULL
GROUP BY c.board
