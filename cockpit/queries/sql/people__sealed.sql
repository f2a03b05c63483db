-- The person whose sealed record the page may open (cockpit/unmask.py), and what the page shows of
-- them, only when the person lives inside the viewer's jurisdiction: an id from outside it
-- returns no row. The sealed bucket itself is read by warehouse/vault.py (schema `secure`: no SQL
-- file of the cockpit names it).
SELECT p.person_id, p.name_masked, p.grid_code
FROM core.persons p
WHERE p.person_id = $person_id AND starts_with(p.grid_code, $scope)
