-- GB/T 30428 evaluation KPIs per area (every level, by code prefix) and month. The period of a
-- case is the month its deadline falls in (应结案: due for closure in the period); 结案 = those
-- closed, 按期结案 = those handled by the deadline; 返工率 and 延期率 on the same denominator;
-- 立案数 = cases opened in the month. Rates are NULL when nothing was due (undefined, not zero).
WITH cases AS (
    SELECT grid_code, date_trunc('month', deadline)::DATE AS month, is_closed, closed_on_time,
           rework_count > 0 AS reworked, extension_count > 0 AS extended
    FROM wh.core.events, wh.ops.meta
    WHERE accepted_at IS NOT NULL AND deadline <= meta.as_of
), opened AS (
    SELECT grid_code, date_trunc('month', accepted_at)::DATE AS month, count(*) AS accepted
    FROM wh.core.events WHERE accepted_at IS NOT NULL GROUP BY ALL
), per_grid AS (
    SELECT grid_code, month, count(*) AS due, count(*) FILTER (is_closed) AS closed,
           count(*) FILTER (closed_on_time) AS closed_on_time,
           count(*) FILTER (reworked) AS reworked, count(*) FILTER (extended) AS extended
    FROM cases GROUP BY ALL
), both_ AS (
    SELECT * FROM per_grid FULL JOIN opened USING (grid_code, month)
), levels AS (
    SELECT 'district' AS level, 6 AS len UNION ALL SELECT 'street', 9
    UNION ALL SELECT 'community', 12 UNION ALL SELECT 'grid', 15
)
SELECT
    left(b.grid_code, l.len)                              AS code,
    l.level,
    b.month,
    coalesce(sum(b.accepted), 0)::BIGINT                  AS accepted,
    coalesce(sum(b.due), 0)::BIGINT                       AS due,
    coalesce(sum(b.closed), 0)::BIGINT                    AS closed,
    coalesce(sum(b.closed_on_time), 0)::BIGINT            AS closed_on_time,
    coalesce(sum(b.reworked), 0)::BIGINT                  AS reworked,
    coalesce(sum(b.extended), 0)::BIGINT                  AS extended,
    sum(b.closed) / nullif(sum(b.due), 0)                 AS closure_rate,
    sum(b.closed_on_time) / nullif(sum(b.due), 0)         AS on_time_rate,
    sum(b.reworked) / nullif(sum(b.due), 0)               AS rework_rate,
    sum(b.extended) / nullif(sum(b.due), 0)               AS extension_rate
FROM both_ b, levels l
GROUP BY ALL
