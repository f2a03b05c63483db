-- department: not applicable (the area layer only, no events or persons)
-- Polygons (WKB, WGS-84) of the areas of one level ($code_len digits) inside $scope, the versions
-- in force at the data's as-of instant (the end of every period the maps offer). Grids split or
-- redrawn earlier keep their old rows with valid_to set; those are not drawn.
SELECT a.code, a.geometry_wkb
FROM areas a, meta m
WHERE length(a.code) = $code_len AND starts_with(a.code, $scope)
  AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
ORDER BY a.code
