-- Typed persons. Name, ID number and phone arrive already pseudonymised and the birth date cut to
-- its year (etl/sql/privacy/pseudonymise_persons.sql). Tags (sensitive under PIPL) become flags
-- that marts count per area; no page shows them per person.
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
    trim(grid_code)                  AS grid_code,
    trim(address_id)                 AS address_id,
    coalesce(contains(tags, '独居老人'), false) AS is_elderly_alone,
    coalesce(contains(tags, '低保'), false)     AS is_low_income,
    coalesce(contains(tags, '残疾'), false)     AS is_disabled,
    coalesce(contains(tags, '退役军人'), false) AS is_veteran,
    coalesce(contains(tags, '党员'), false)     AS is_party_member,
    coalesce(contains(tags, '未成年人'), false) AS is_minor
FROM memory.checked_persons
