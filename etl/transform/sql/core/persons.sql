-- Pseudonymised persons: person_key links records of one person; masks are for display. The
-- sensitive tags are not here: only their per-grid counts (core/person_groups_per_grid.sql).
SELECT
    p.person_id, p.person_key, p.name_masked, p.id_number_masked, p.sex, p.birth_year,
    p.phone_masked, p.household_id, p.relation, p.residence_type, p.grid_code, p.address_id,
    left(p.grid_code, 12) AS community_code,
    left(p.grid_code, 9)  AS street_code,
    left(p.grid_code, 6)  AS district_code
FROM memory.stg_persons p
