-- 需求清单: needs registered in the viewer's area in the window [$start, $stop) (as
-- services__counters.sql), counted by state and by each of domain,
-- target group, difficulty, urgency and status (one GROUPING SETS row set per dimension).
--
-- Deadline (办理时限): time_limit_days are WORKING days on the Chinese holiday calendar counted
-- from the registration date (docs/data-contract.md): the deadline is the time_limit_days-th
-- working day after reported_date, computed by the ETL into needs.deadline_date (core needs.sql).
--
-- State on the as-of date (办结 = resolved_date present and not after the as-of date, whether
-- 已解决 or 无法解决):
--   按期办结 = closed on or before the deadline
--   超期办结 = closed after the deadline (resolved_date > deadline)
--   在办     = open and the deadline is today or later (deadline >= as-of date)
--   在办超期 = open and the deadline has passed: deadline < as-of date
--              (i.e. reported_date + time_limit_days working days < as-of date)
-- 解决率 = 已解决 / needs registered in the period; 办结率 = (已解决 + 无法解决) / registered.
WITH scoped AS (
    SELECT n.domain, n.target_group, n.difficulty, n.urgency, n.status, n.reported_date,
           n.deadline_date, n.resolved_date, m.as_of::DATE AS end_day
    FROM core.needs n, ops.meta m
    WHERE starts_with(n.grid_code, $scope)
      AND n.reported_date >= $start AND n.reported_date < $stop
), classified AS (
    SELECT x.*,
           CASE WHEN x.resolved_date IS NOT NULL AND x.resolved_date <= x.end_day
                THEN CASE WHEN x.deadline_date IS NULL OR x.resolved_date <= x.deadline_date
                          THEN '按期办结' ELSE '超期办结' END
                ELSE CASE WHEN x.deadline_date < x.end_day THEN '在办超期' ELSE '在办' END
           END AS state
    FROM scoped x
)
SELECT CASE WHEN grouping(domain) = 0       THEN 'domain'
            WHEN grouping(target_group) = 0 THEN 'target_group'
            WHEN grouping(difficulty) = 0   THEN 'difficulty'
            WHEN grouping(urgency) = 0      THEN 'urgency'
            ELSE 'status' END                                  AS dimension,
       coalesce(domain, target_group, difficulty, urgency, status) AS value,
       state,
       count(*)                                                AS needs
FROM classified
GROUP BY GROUPING SETS ((domain, state), (target_group, state), (difficulty, state),
                        (urgency, state), (status, state))
ORDER BY dimension, value, state
