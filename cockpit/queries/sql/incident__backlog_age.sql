-- The open backlog at the as-of instant by age (上报 → as-of, elapsed hours). Open =
-- mart.event_sla.is_open: not closed and not refused (不予立案); it includes cases waiting for
-- 立案/派遣 and cases handled but not yet verified and closed. $class_code NULL means every class.
WITH buckets(bucket_order, bucket, lo, hi) AS (
    VALUES (1, '4小时内', 0, 240), (2, '4–24小时', 240, 1440), (3, '1–3天', 1440, 4320),
           (4, '3–7天', 4320, 10080), (5, '7–30天', 10080, 43200), (6, '30天以上', 43200, NULL)
), open_ AS (
    SELECT age_minutes FROM mart.event_sla
    WHERE is_open AND starts_with(grid_code, $scope)
      AND ($class_code IS NULL OR class_code = $class_code)
)
SELECT b.bucket_order, b.bucket, count(o.age_minutes) AS events
FROM buckets b
LEFT JOIN open_ o ON o.age_minutes >= b.lo AND (b.hi IS NULL OR o.age_minutes < b.hi)
GROUP BY b.bucket_order, b.bucket
ORDER BY b.bucket_order
