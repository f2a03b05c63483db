-- department: not applicable (the area layer only, no events or persons)
-- 简报: the names of areas inside the viewer's jurisdiction ($codes, a list), each by its latest
-- version (a grid redrawn or split keeps its code and shows its newest name).
SELECT code, arg_max(name, coalesce(valid_from, TIMESTAMP '1900-01-01')) AS name
FROM areas
WHERE starts_with(code, $scope) AND list_contains($codes, code)
GROUP BY code
