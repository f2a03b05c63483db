-- Every code's display name (`code`, `name`), also for codes no longer in force: the version in
-- force at as-of (core.areas_in_force), else the code's latest version. Events, needs and persons
-- keep the code of the version in force on their date, so a split grid's old code still needs its
-- name. The one definition: the cockpit and the notebooks read names here.
SELECT a.code, first(a.name ORDER BY f.code IS NOT NULL DESC, a.valid_from DESC NULLS LAST) AS name
FROM core.areas a
LEFT JOIN core.areas_in_force f ON f.code = a.code AND f.valid_from IS NOT DISTINCT FROM a.valid_from
GROUP BY a.code
