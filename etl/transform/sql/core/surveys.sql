-- 满意度调查 (satisfaction surveys) with their place in the area hierarchy.
SELECT
    s.*,
    left(s.community_code, 9) AS street_code,
    left(s.community_code, 6) AS district_code
FROM memory.stg_surveys s
