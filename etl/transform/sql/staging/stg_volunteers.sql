-- Typed 志愿者 (volunteers) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(volunteer_id)                  AS volunteer_id,
    name_masked                         AS name_masked,
    id_number_masked                    AS id_number_masked,
    person_key                          AS person_key,
    phone_masked                        AS phone_masked,
    trim(team_id)                       AS team_id,
    trim(community_code)                AS community_code,
    trim(skills)                        AS skills,
    CAST(trim(registered_date) AS DATE) AS registered_date,
    CAST(trim(service_hours) AS DOUBLE) AS service_hours
FROM memory.checked_volunteers
