-- Typed 志愿服务队 (volunteer teams) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    team_id,
    name,
    team_type,
    community_code,
    CAST(founded_date AS DATE)    AS founded_date,
    CAST(members AS INTEGER)      AS members,
    CAST(service_hours AS DOUBLE) AS service_hours
FROM memory.checked_volunteer_teams
