-- 一标三实 · 实有房屋 (houses) with their place in the area hierarchy.
SELECT
    s.*,
    left(s.grid_code, 12) AS community_code,
    left(s.grid_code, 9)  AS street_code,
    left(s.grid_code, 6)  AS district_code
FROM memory.stg_houses s
