-- Pseudonymised persons: person_key links records of one person; masks are for display.
SELECT
    p.*,
    left(p.grid_code, 12) AS community_code,
    left(p.grid_code, 9)  AS street_code,
    left(p.grid_code, 6)  AS district_code
FROM memory.stg_persons p
