-- Typed 一标三实 · 标准地址 (standard addresses) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    address_id,
    grid_code,
    district,
    street,
    community,
    nullif(road, '')     AS road,
    house_number,
    compound,
    nullif(building, '') AS building,
    nullif(unit, '')     AS unit,
    nullif(room, '')     AS room,
    address,
    CAST(lon AS DOUBLE)  AS lon,
    CAST(lat AS DOUBLE)  AS lat,
    address_kind
FROM memory.checked_addresses
