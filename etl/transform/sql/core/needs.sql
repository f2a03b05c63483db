-- derived: deadline_date, street_code, district_code
-- 需求清单 (needs ledger) with their place in the area hierarchy and their deadline: the
-- time_limit_days-th working day after the registration date (办理时限 is in working days on
-- the Chinese holiday calendar, docs/data-contract.md; wh.core.workdays numbers the working days).
SELECT
    s.*,
    d.day                 AS deadline_date,
    left(s.grid_code, 9)  AS street_code,
    left(s.grid_code, 6)  AS district_code
FROM memory.stg_needs s
ASOF LEFT JOIN wh.core.workdays r ON s.reported_date >= r.day
LEFT JOIN wh.core.workdays d ON d.n = coalesce(r.n, 0) + s.time_limit_days
