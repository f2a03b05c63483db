-- GB/T 30428 KPIs per area and month for the open API, straight from mart.area_kpis_monthly (the
-- month of a case is the month its deadline falls in; rates on the 应结案 denominator, NULL when
-- nothing was due; etl/transform/sql/marts/area_kpis_monthly.sql): the areas of level $level inside
-- $scope, months $start up to and including $stop (first days of months). The mart has no
-- department, so a department token is refused (run). One page: $limit rows from $offset by
-- area code, then month; `total` on every row counts all matching rows (one row of NULLs beside
-- it when the page is empty). Names: sql/_area_names.sql.
WITH matching AS (
    SELECT *
    FROM mart.area_kpis_monthly
    WHERE level = $level AND starts_with(code, $scope) AND month >= $start AND month <= $stop
), page AS (
    SELECT * FROM matching ORDER BY code, month LIMIT $limit OFFSET $offset
), names AS (
    -- include: area_names
)
SELECT t.total, p.code, coalesce(n.name, p.code) AS name, p.level, p.month,
       p.accepted, p.due, p.closed, p.closed_on_time, p.reworked, p.extended,
       p.closure_rate, p.on_time_rate, p.rework_rate, p.extension_rate
FROM (SELECT count(*) AS total FROM matching) t
LEFT JOIN page p ON true
LEFT JOIN names n ON n.code = p.code
ORDER BY p.code, p.month
