-- Typed 一标三实 · 实有单位 (organisations) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(org_id)                        AS org_id,
    trim(name)                          AS name,
    trim(credit_code)                   AS credit_code,
    trim(org_type)                      AS org_type,
    nullif(trim(industry), '')          AS industry,
    trim(address_id)                    AS address_id,
    trim(grid_code)                     AS grid_code,
    CAST(trim(lon) AS DOUBLE)           AS lon,
    CAST(trim(lat) AS DOUBLE)           AS lat,
    CAST(trim(employees) AS INTEGER)    AS employees,
    contact_name_masked                 AS contact_name_masked,
    contact_phone_masked                AS contact_phone_masked,
    CAST(trim(registered_date) AS DATE) AS registered_date
FROM memory.checked_organisations
