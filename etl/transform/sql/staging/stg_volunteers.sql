-- Typed 志愿者 (volunteers) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    volunteer_id                  AS volunteer_id,
    name_masked                   AS name_masked,
    id_number_masked              AS id_number_masked,
    person_key                    AS person_key,
    phone_masked                  AS phone_masked,
    team_id                       AS team_id,
    community_code                AS community_code,
    skills                        AS skills,
    CAST(registered_date AS DATE) AS registered_date,
    CAST(service_hours AS DOUBLE) AS service_hours
FROM memory.checked_volunteers
