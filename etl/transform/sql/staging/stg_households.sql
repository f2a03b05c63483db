-- Typed households from rows that passed the contract's checks.
SELECT
    household_id,
    grid_code,
    address_id,
    address,
    CAST(lon AS DOUBLE)      AS lon,
    CAST(lat AS DOUBLE)      AS lat,
    CAST(members AS INTEGER) AS members,
    household_type
FROM memory.checked_households
