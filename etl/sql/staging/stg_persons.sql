-- Typed persons. Name, ID number and phone arrive already pseudonymised (etl/privacy.py).
SELECT
    trim(person_id)                AS person_id,
    person_key,
    name_masked,
    id_number_masked,
    trim(sex)                      AS sex,
    CAST(trim(birth_date) AS DATE) AS birth_date,
    nullif(phone_masked, '')       AS phone_masked,
    trim(household_id)             AS household_id,
    trim(relation)                 AS relation,
    trim(residence_type)           AS residence_type,
    trim(grid_code)                AS grid_code
FROM memory.checked_persons
