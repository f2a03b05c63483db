-- Each board's events (event_categories.board: 党建 / 平安 / 民生 / 企业), in one pass over the
-- events: reported in the last $days days, open now, overdue now, and 应结案 / 结案 in the window
-- (as screen__kpis.sql). A board with no events in the scope has no row.
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta)
SELECT
    c.board,
    count(*) FILTER (e.reported_at >= w.start_day AND e.reported_at <= w.as_of)      AS reported,
    count(*) FILTER (s.is_open)                                                       AS open,
    count(*) FILTER (s.overdue_open)                                                  AS overdue_open,
    count(*) FILTER (e.accepted_at IS NOT NULL AND e.deadline >= w.start_day
                     AND e.deadline <= w.as_of)                                       AS due,
    count(*) FILTER (e.accepted_at IS NOT NULL AND e.deadline >= w.start_day
                     AND e.deadline <= w.as_of AND e.is_closed)                       AS closed
FROM events e
JOIN event_categories c USING (subclass_code)
JOIN mart_event_sla s USING (event_id)
CROSS JOIN win w
WHERE starts_with(e.grid_code, $scope) AND c.board IS NOT NULL
GROUP BY c.board
