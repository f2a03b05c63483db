-- 志愿服务队 (volunteer teams) with their place in the area hierarchy.
SELECT
    s.*,
    left(s.community_code, 9) AS street_code,
    left(s.community_code, 6) AS district_code
FROM memory.stg_volunteer_teams s
