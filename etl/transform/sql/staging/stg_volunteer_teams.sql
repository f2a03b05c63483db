-- Typed 志愿服务队 (volunteer teams) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(team_id)                       AS team_id,
    trim(name)                          AS name,
    trim(team_type)                     AS team_type,
    trim(community_code)                AS community_code,
    CAST(trim(founded_date) AS DATE)    AS founded_date,
    CAST(trim(members) AS INTEGER)      AS members,
    CAST(trim(service_hours) AS DOUBLE) AS service_hours
FROM memory.checked_volunteer_teams
