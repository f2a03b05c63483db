-- GB/T 30428 KPIs per area of one level ($level: district / street / community / grid) over the months
-- [$start, $stop), from mart.area_kpis_monthly (the month of a case = the month its deadline falls
-- in; see etl/transform/sql/marts/area_kpis_monthly.sql). Rates on the 应结案 denominator:
--   结案率 = 结案/应结案, 按期结案率 = 按期结案/应结案, 返工率 = 返工过的/应结案, 延期率 = 延期过的/应结案
-- and NULL when nothing was due (undefined, not zero).
-- 绩效评价 score (0–100), higher is better:
--   score = 100 × (0.4·按期结案率 + 0.3·结案率 + 0.15·(1 − 返工率) + 0.15·(1 − 延期率))
-- ranked with rank() (equal scores share a place); areas with nothing due are not ranked.
-- Names: sql/_area_names.sql (a redrawn grid keeps its code).
WITH names AS (
    -- include: area_names
), k AS (
    SELECT code, sum(accepted) AS accepted, sum(due) AS due, sum(closed) AS closed,
           sum(closed_on_time) AS closed_on_time, sum(reworked) AS reworked, sum(extended) AS extended
    FROM mart.area_kpis_monthly
    WHERE level = $level AND starts_with(code, $scope) AND month >= $start AND month < $stop
    GROUP BY code
), r AS (
    SELECT k.*, coalesce(n.name, k.code) AS name,
           closed / nullif(due, 0)          AS closure_rate,
           closed_on_time / nullif(due, 0)  AS on_time_rate,
           reworked / nullif(due, 0)        AS rework_rate,
           extended / nullif(due, 0)        AS extension_rate
    FROM k LEFT JOIN names n USING (code)
), s AS (
    SELECT *, 100 * (0.4 * on_time_rate + 0.3 * closure_rate
                     + 0.15 * (1 - rework_rate) + 0.15 * (1 - extension_rate)) AS score
    FROM r
)
SELECT CASE WHEN score IS NOT NULL THEN rank() OVER (ORDER BY score DESC NULLS LAST) END AS rank,
       code, name, accepted::BIGINT AS accepted, due::BIGINT AS due, closed::BIGINT AS closed,
       closed_on_time::BIGINT AS closed_on_time, reworked::BIGINT AS reworked,
       extended::BIGINT AS extended,
       closure_rate, on_time_rate, rework_rate, extension_rate, score
FROM s
ORDER BY score DESC NULLS LAST, code
