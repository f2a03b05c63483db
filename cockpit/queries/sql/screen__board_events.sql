-- Each board's events (event_categories.board: 党建 / 平安 / 民生 / 企业), in one pass over
-- mart.event_sla: reported in the window [$start, $stop), open now, overdue now, and 应结案 / 结案
-- in the window (as screen__kpis.sql). A board with no events in the scope has no row.
SELECT
    c.board,
    count(*) FILTER (s.reported_at >= $start AND s.reported_at < $stop)               AS reported,
    count(*) FILTER (s.is_open)                                                       AS open,
    count(*) FILTER (s.overdue_open)                                                  AS overdue_open,
    count(*) FILTER (s.accepted_at IS NOT NULL AND s.deadline >= $start
                     AND s.deadline < $stop)                                          AS due,
    count(*) FILTER (s.accepted_at IS NOT NULL AND s.deadline >= $start
                     AND s.deadline < $stop AND s.is_closed)                          AS closed
FROM mart.event_sla s
JOIN core.event_categories c USING (subclass_code)
WHERE starts_with(s.grid_code, $scope) AND c.board IS NOT NULL
GROUP BY c.board
