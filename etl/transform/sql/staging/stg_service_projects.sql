-- Typed 服务项目 (service projects) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    project_id               AS project_id,
    name                     AS name,
    project_type             AS project_type,
    target_group             AS target_group,
    community_code           AS community_code,
    organiser                AS organiser,
    CAST(start_date AS DATE) AS start_date,
    CAST(end_date AS DATE)   AS end_date
FROM memory.checked_service_projects
