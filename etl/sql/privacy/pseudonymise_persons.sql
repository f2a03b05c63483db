-- Persons with name, ID number and phone replaced before anything is stored: a keyed hash
-- (HMAC-SHA256 with the key's inner/outer pads bound as $ipad/$opad) links one person across files
-- and runs; masks are for display. The verdicts on the ID number (GB 11643-1999) and the phone are
-- kept as id_problem and phone_problem. The birth date is cut to its year: with the full date,
-- the standard mask (region + last four) would give the whole ID number back.
WITH ids AS (
    SELECT *, upper(trim(id_number)) AS id_clean, trim(phone) AS phone_clean FROM memory.raw_persons
)
SELECT
    line, person_id, sex, household_id, relation, residence_type, grid_code, address_id, tags,
    CASE WHEN TRY_CAST(trim(birth_date) AS DATE) IS NULL THEN trim(birth_date)
         ELSE CAST(year(TRY_CAST(trim(birth_date) AS DATE)) AS VARCHAR) END         AS birth_year,
    trim(birth_date)                                                               AS birth_date_checked,
    CASE WHEN id_clean = '' THEN ''
         ELSE sha256($opad || unhex(sha256($ipad || encode(id_clean)))) END        AS person_key,
    CASE WHEN length(id_clean) = 18 THEN left(id_clean, 6) || '********' || right(id_clean, 4)
         ELSE repeat('*', greatest(length(id_clean) - 2, 0)) || right(id_clean, 2) END AS id_number_masked,
    CASE WHEN trim(name) = '' THEN ''
         ELSE left(trim(name), 1) || repeat('*', length(trim(name)) - 1) END       AS name_masked,
    CASE WHEN length(phone_clean) = 11 THEN left(phone_clean, 3) || '****' || right(phone_clean, 4)
         ELSE repeat('*', greatest(length(phone_clean) - 2, 0)) || right(phone_clean, 2) END
                                                                                   AS phone_masked,
    CASE WHEN phone_clean = '' OR regexp_full_match(phone_clean, '1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}')
         THEN '' ELSE 'phone_format' END                                           AS phone_problem,
    CASE
        WHEN id_clean = '' THEN ''
        WHEN NOT regexp_full_match(id_clean, '[0-9]{17}[0-9X]') THEN 'id_format'
        WHEN substr('10X98765432', CAST(list_sum(list_transform(range(1, 18),
                 lambda i: CAST(substr(id_clean, i, 1) AS INTEGER)
                      * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i])) AS BIGINT) % 11 + 1, 1)
             <> right(id_clean, 1) THEN 'id_check_digit'
        WHEN substr(id_clean, 7, 8) <> replace(trim(birth_date), '-', '') THEN 'id_birth_mismatch'
        WHEN (CAST(substr(id_clean, 17, 1) AS INTEGER) % 2 = 1) <> (trim(sex) = '男')
             THEN 'id_sex_mismatch'
        ELSE ''
    END                                                                            AS id_problem
FROM ids
