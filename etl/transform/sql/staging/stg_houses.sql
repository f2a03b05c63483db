-- Typed 一标三实 · 实有房屋 (houses) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    house_id,
    address_id,
    grid_code,
    house_use,
    CAST(floor_area AS DOUBLE)  AS floor_area,
    occupancy,
    nullif(owner_person_id, '') AS owner_person_id
FROM memory.checked_houses
