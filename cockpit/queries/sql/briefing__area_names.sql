-- department: not applicable (the area layer only, no events or persons)
-- 简报: the names of areas inside the viewer's jurisdiction ($codes, a list), by sql/_area_names.sql
-- (a split grid's old code keeps its last name).
SELECT code, name
FROM (
    -- include: area_names
) n
WHERE starts_with(code, $scope) AND list_contains($codes, code)
