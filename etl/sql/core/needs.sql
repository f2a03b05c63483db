-- 需求清单 (needs ledger) with their place in the area hierarchy.
SELECT
    s.*,
    left(s.grid_code, 9)  AS street_code,
    left(s.grid_code, 6)  AS district_code
FROM memory.stg_needs s
