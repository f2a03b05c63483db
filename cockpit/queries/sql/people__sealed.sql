-- The sealed bucket (etl/privacy/vault.py) holding one person's clear values, and what the page shows of
-- them, only when the person lives inside the viewer's jurisdiction: an id from outside it
-- returns no row.
SELECT p.person_id, p.name_masked, p.grid_code, i.bucket, v.sealed
FROM core.persons p
JOIN secure.vault_index i ON i.source_table = 'persons' AND i.record_id = p.person_id
JOIN secure.vault v ON v.source_table = 'persons' AND v.bucket = i.bucket
WHERE p.person_id = $person_id AND starts_with(p.grid_code, $scope)
