-- Typed 服务项目 (service projects) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    project_id,
    name,
    project_type,
    target_group,
    community_code,
    organiser,
    CAST(start_date AS DATE) AS start_date,
    CAST(end_date AS DATE)   AS end_date
FROM memory.checked_service_projects
