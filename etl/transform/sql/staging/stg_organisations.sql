-- Typed 一标三实 · 实有单位 (organisations) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    org_id,
    name,
    credit_code,
    org_type,
    nullif(industry, '')          AS industry,
    address_id,
    grid_code,
    CAST(lon AS DOUBLE)           AS lon,
    CAST(lat AS DOUBLE)           AS lat,
    CAST(employees AS INTEGER)    AS employees,
    contact_name_masked,
    contact_phone_masked,
    CAST(registered_date AS DATE) AS registered_date
FROM memory.checked_organisations
