-- One board's events (event_categories.board = $board: 党建 / 平安 / 民生 / 企业): reported in the
-- last $days days, open now, overdue now, and 应结案 / 结案 in the window (as screen__kpis.sql).
WITH win AS (SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta),
board AS (SELECT subclass_code FROM event_categories WHERE board = $board)
SELECT
    count(*) FILTER (e.reported_at >= w.start_day AND e.reported_at <= w.as_of)      AS reported,
    count(*) FILTER (s.is_open)                                                       AS open,
    count(*) FILTER (s.overdue_open)                                                  AS overdue_open,
    count(*) FILTER (e.accepted_at IS NOT NULL AND e.deadline >= w.start_day
                     AND e.deadline <= w.as_of)                                       AS due,
    count(*) FILTER (e.accepted_at IS NOT NULL AND e.deadline >= w.start_day
                     AND e.deadline <= w.as_of AND e.is_closed)                       AS closed
FROM events e
JOIN board b USING (subclass_code)
JOIN mart_event_sla s USING (event_id)
CROSS JOIN win w
WHERE starts_with(e.grid_code, $scope)
