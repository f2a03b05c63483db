-- Typed persons. Name, ID number and phone arrive already pseudonymised (etl/privacy/pseudonymise.py); the birth
-- date is kept as its year only (data minimisation). Tags (sensitive under PIPL) become flags
-- that marts count per area; no page shows them per person.
SELECT
    person_id,
    person_key,
    name_masked,
    id_number_masked,
    sex,
    year(CAST(birth_date AS DATE))          AS birth_year,
    nullif(phone_masked, '')                AS phone_masked,
    household_id,
    relation,
    residence_type,
    grid_code,
    address_id,
    coalesce(contains(tags, '独居老人'), false) AS is_elderly_alone,
    coalesce(contains(tags, '低保'), false)   AS is_low_income,
    coalesce(contains(tags, '残疾'), false)   AS is_disabled,
    coalesce(contains(tags, '退役军人'), false) AS is_veteran,
    coalesce(contains(tags, '党员'), false)   AS is_party_member,
    coalesce(contains(tags, '未成年人'), false) AS is_minor
FROM memory.checked_persons
