-- Typed 服务活动 (service activities) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(activity_id)                   AS activity_id,
    trim(project_id)                    AS project_id,
    trim(community_code)                AS community_code,
    CAST(trim(activity_date) AS DATE)   AS activity_date,
    trim(title)                         AS title,
    CAST(trim(participants) AS INTEGER) AS participants,
    CAST(trim(volunteers) AS INTEGER)   AS volunteers,
    nullif(trim(team_id), '')           AS team_id
FROM memory.checked_service_activities
