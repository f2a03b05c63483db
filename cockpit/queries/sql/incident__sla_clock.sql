-- Open cases against the SLA clock at the as-of instant. The clock runs for a case that has a
-- deadline (立案) and whose handling (处置) is not finished: 按期 means handled by the deadline, so a
-- handled case waiting for verification is off the clock. Buckets by time to the deadline:
-- 已超期 (deadline passed = mart.event_sla.overdue_open), 4小时内到期, 24小时内到期, 更久.
WITH buckets(bucket_order, bucket) AS (
    VALUES (1, '已超期'), (2, '4小时内到期'), (3, '24小时内到期'), (4, '更久')
), clock AS (
    SELECT CASE
               WHEN s.deadline < m.as_of                          THEN 1
               WHEN s.deadline <= m.as_of + INTERVAL 4 HOUR       THEN 2
               WHEN s.deadline <= m.as_of + INTERVAL 24 HOUR      THEN 3
               ELSE 4
           END AS bucket_order
    FROM mart.event_sla s, ops.meta m
    WHERE s.is_open AND s.deadline IS NOT NULL
      AND s.sla_state NOT IN ('已处置待结案', '超期处置待结案')
      AND starts_with(s.grid_code, $scope)
      AND ($class_code IS NULL OR s.class_code = $class_code)
)
SELECT b.bucket_order, b.bucket, count(c.bucket_order) AS events
FROM buckets b LEFT JOIN clock c USING (bucket_order)
GROUP BY b.bucket_order, b.bucket
ORDER BY b.bucket_order
