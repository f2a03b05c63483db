-- The live workload inside the viewer's jurisdiction at the as-of instant: open cases (reported and
-- not closed, 不予立案 excluded: 待立案 and 待派遣 count, as mart.event_sla.is_open), open cases past their deadline (未处置且已超期, as mart.event_sla.overdue_open),
-- and the as-of day's reports and closures.
WITH m AS (SELECT as_of, as_of::DATE AS today FROM ops.meta)
SELECT
    count(*) FILTER (s.is_open)                                                    AS open,
    count(*) FILTER (s.overdue_open)                                               AS overdue_open,
    count(*) FILTER (s.reported_at >= m.today AND s.reported_at <= m.as_of)        AS reported_today,
    count(*) FILTER (s.closed_at >= m.today AND s.closed_at <= m.as_of)            AS closed_today
FROM mart.event_sla s, m
WHERE starts_with(s.grid_code, $scope)
