-- One page of the actual-population register (实有人口) inside the viewer's jurisdiction ($scope,
-- already narrowed by the area filter on the server): names, ID numbers and phones as the ETL
-- masked them. Optional filters are NULL when not set: residence type, and text the standard
-- address must contain (a compound, building or room). `total` counts every matching person.
-- The sensitive tags (独居老人, 低保, …) are not here: pages show only their counts per area.
WITH names AS (
    -- include: area_names
)
SELECT p.person_id, p.name_masked, p.sex, p.birth_year, p.id_number_masked, p.phone_masked,
       p.residence_type, p.relation, a.address, g.name AS grid_name, c.name AS community_name,
       count(*) OVER () AS total
FROM core.persons p
LEFT JOIN core.addresses a ON a.address_id = p.address_id
LEFT JOIN names g ON g.code = p.grid_code
LEFT JOIN names c ON c.code = p.community_code
WHERE starts_with(p.grid_code, $scope)
  AND ($residence_type IS NULL OR p.residence_type = $residence_type)
  AND ($address IS NULL OR contains(a.address, $address))
ORDER BY a.address NULLS LAST, p.household_id, p.person_id
LIMIT $limit OFFSET $offset
