-- Typed 志愿者 (volunteers) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    volunteer_id,
    name_masked,
    id_number_masked,
    person_key,
    phone_masked,
    team_id,
    community_code,
    skills,
    CAST(registered_date AS DATE) AS registered_date,
    CAST(service_hours AS DOUBLE) AS service_hours
FROM memory.checked_volunteers
