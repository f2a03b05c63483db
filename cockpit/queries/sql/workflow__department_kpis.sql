-- GB/T 30428 KPIs per responsible department over the months [$start, $stop), recomputed from
-- events (the mart has no department) with the formulas of etl/transform/sql/marts/area_kpis_monthly.sql:
-- 应结案 = cases (立案) whose deadline falls in the period, up to the as-of instant; 结案 = those
-- closed; 按期结案 = those closed whose handling finished by the deadline; 返工/延期 = those
-- reworked / extended at least once; rates on 应结案, NULL when nothing was due; 立案数 = cases
-- opened in the period. Score and rank as in workflow__area_kpis.sql:
--   score = 100 × (0.4·按期结案率 + 0.3·结案率 + 0.15·(1 − 返工率) + 0.15·(1 − 延期率))
WITH scoped AS (
    SELECT e.*, m.as_of FROM core.events e, ops.meta m
    WHERE starts_with(e.grid_code, $scope) AND e.accepted_at IS NOT NULL
), cases AS (
    SELECT coalesce(department, '未指派') AS department,
           count(*)                                   AS due,
           count(*) FILTER (is_closed)                AS closed,
           count(*) FILTER (closed_on_time)           AS closed_on_time,
           count(*) FILTER (rework_count > 0)         AS reworked,
           count(*) FILTER (extension_count > 0)      AS extended
    FROM scoped
    WHERE deadline <= as_of AND deadline >= $start AND deadline < $stop
    GROUP BY ALL
), opened AS (
    SELECT coalesce(department, '未指派') AS department, count(*) AS accepted
    FROM scoped WHERE accepted_at >= $start AND accepted_at < $stop
    GROUP BY ALL
), r AS (
    SELECT department,
           coalesce(o.accepted, 0) AS accepted, coalesce(c.due, 0) AS due,
           coalesce(c.closed, 0) AS closed, coalesce(c.closed_on_time, 0) AS closed_on_time,
           coalesce(c.reworked, 0) AS reworked, coalesce(c.extended, 0) AS extended,
           c.closed / nullif(c.due, 0)          AS closure_rate,
           c.closed_on_time / nullif(c.due, 0)  AS on_time_rate,
           c.reworked / nullif(c.due, 0)        AS rework_rate,
           c.extended / nullif(c.due, 0)        AS extension_rate
    FROM cases c FULL JOIN opened o USING (department)
), s AS (
    SELECT *, 100 * (0.4 * on_time_rate + 0.3 * closure_rate
                     + 0.15 * (1 - rework_rate) + 0.15 * (1 - extension_rate)) AS score
    FROM r
)
SELECT CASE WHEN score IS NOT NULL THEN rank() OVER (ORDER BY score DESC NULLS LAST) END AS rank,
       department AS code, department AS name, accepted, due, closed, closed_on_time, reworked,
       extended, closure_rate, on_time_rate, rework_rate, extension_rate, score
FROM s
ORDER BY score DESC NULLS LAST, department
