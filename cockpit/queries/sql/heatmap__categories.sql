-- The event taxonomy (大类 → 小类): the only category codes a filter may ask for. The taxonomy
-- is the same in every jurisdiction: $scope is bound as for every query but limits nothing.
SELECT class_code, class_name, subclass_code, subclass_name
FROM core.event_categories
WHERE CAST($scope AS VARCHAR) IS NOT NULL
ORDER BY class_code, subclass_code
