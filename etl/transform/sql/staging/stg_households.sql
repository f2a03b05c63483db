-- Typed households from rows that passed the contract's checks.
SELECT
    trim(household_id)             AS household_id,
    trim(grid_code)                AS grid_code,
    trim(address_id)               AS address_id,
    trim(address)                  AS address,
    CAST(trim(lon) AS DOUBLE)      AS lon,
    CAST(trim(lat) AS DOUBLE)      AS lat,
    CAST(trim(members) AS INTEGER) AS members,
    trim(household_type)           AS household_type
FROM memory.checked_households
