-- Typed 一标三实 · 标准地址 (standard addresses) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    address_id           AS address_id,
    grid_code            AS grid_code,
    district             AS district,
    street               AS street,
    community            AS community,
    nullif(road, '')     AS road,
    house_number         AS house_number,
    compound             AS compound,
    nullif(building, '') AS building,
    nullif(unit, '')     AS unit,
    nullif(room, '')     AS room,
    address              AS address,
    CAST(lon AS DOUBLE)  AS lon,
    CAST(lat AS DOUBLE)  AS lat,
    address_kind         AS address_kind
FROM memory.checked_addresses
