-- Typed 服务项目 (service projects) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(project_id)               AS project_id,
    trim(name)                     AS name,
    trim(project_type)             AS project_type,
    trim(target_group)             AS target_group,
    trim(community_code)           AS community_code,
    trim(organiser)                AS organiser,
    CAST(trim(start_date) AS DATE) AS start_date,
    CAST(trim(end_date) AS DATE)   AS end_date
FROM memory.checked_service_projects
