-- Typed households from rows that passed the contract's checks.
SELECT
    household_id             AS household_id,
    grid_code                AS grid_code,
    address_id               AS address_id,
    address                  AS address,
    CAST(lon AS DOUBLE)      AS lon,
    CAST(lat AS DOUBLE)      AS lat,
    CAST(members AS INTEGER) AS members,
    household_type           AS household_type
FROM memory.checked_households
