-- The live workload inside the viewer's jurisdiction at the as-of instant: open cases (reported and
-- not closed, 不予立案 excluded: 待立案 and 待派遣 count, as mart_event_sla.is_open), open cases past their deadline (未处置且已超期, as mart_event_sla.overdue_open),
-- and the as-of day's reports and closures.
WITH m AS (SELECT as_of, as_of::DATE AS today FROM meta)
SELECT
    (SELECT count(*) FILTER (is_open) FROM mart_event_sla
     WHERE starts_with(grid_code, $scope))                                         AS open,
    (SELECT count(*) FILTER (overdue_open) FROM mart_event_sla
     WHERE starts_with(grid_code, $scope))                                         AS overdue_open,
    count(*) FILTER (e.reported_at >= m.today AND e.reported_at <= m.as_of)        AS reported_today,
    count(*) FILTER (e.closed_at >= m.today AND e.closed_at <= m.as_of)            AS closed_today
FROM events e, m
WHERE starts_with(e.grid_code, $scope)
