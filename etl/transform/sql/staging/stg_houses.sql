-- Typed 一标三实 · 实有房屋 (houses) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(house_id)                    AS house_id,
    trim(address_id)                  AS address_id,
    trim(grid_code)                   AS grid_code,
    trim(house_use)                   AS house_use,
    CAST(trim(floor_area) AS DOUBLE)  AS floor_area,
    trim(occupancy)                   AS occupancy,
    nullif(trim(owner_person_id), '') AS owner_person_id
FROM memory.checked_houses
