-- Special groups per grid, counted from the in-memory staging table: the tags (sensitive under
-- PIPL) never reach the published warehouse per person, only these counts.
SELECT
    grid_code,
    count(*) FILTER (is_elderly_alone) AS elderly_alone,
    count(*) FILTER (is_low_income)    AS low_income,
    count(*) FILTER (is_disabled)      AS disabled,
    count(*) FILTER (is_veteran)       AS veterans,
    count(*) FILTER (is_party_member)  AS party_members,
    count(*) FILTER (is_minor)         AS minors
FROM memory.stg_persons
GROUP BY grid_code
