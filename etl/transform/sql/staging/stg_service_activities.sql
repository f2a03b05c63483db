-- Typed 服务活动 (service activities) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    activity_id,
    project_id,
    community_code,
    CAST(activity_date AS DATE)   AS activity_date,
    title,
    CAST(participants AS INTEGER) AS participants,
    CAST(volunteers AS INTEGER)   AS volunteers,
    nullif(team_id, '')           AS team_id
FROM memory.checked_service_activities
