-- Typed persons. Name, ID number and phone arrive already pseudonymised and the birth date cut to
-- its year (etl/sql/privacy/pseudonymise_persons.sql).
SELECT
    trim(person_id)                  AS person_id,
    person_key,
    name_masked,
    id_number_masked,
    trim(sex)                        AS sex,
    CAST(birth_year AS INTEGER)      AS birth_year,
    nullif(phone_masked, '')         AS phone_masked,
    trim(household_id)               AS household_id,
    trim(relation)                   AS relation,
    trim(residence_type)             AS residence_type,
    trim(grid_code)                  AS grid_code
FROM memory.checked_persons
