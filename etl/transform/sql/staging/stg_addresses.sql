-- Typed 一标三实 · 标准地址 (standard addresses) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(address_id)           AS address_id,
    trim(grid_code)            AS grid_code,
    trim(district)             AS district,
    trim(street)               AS street,
    trim(community)            AS community,
    nullif(trim(road), '')     AS road,
    trim(house_number)         AS house_number,
    trim(compound)             AS compound,
    nullif(trim(building), '') AS building,
    nullif(trim(unit), '')     AS unit,
    nullif(trim(room), '')     AS room,
    trim(address)              AS address,
    CAST(trim(lon) AS DOUBLE)  AS lon,
    CAST(trim(lat) AS DOUBLE)  AS lat,
    trim(address_kind)         AS address_kind
FROM memory.checked_addresses
