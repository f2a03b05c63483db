-- 预警研判: how well each method finds injected outbreaks (etl evaluate-warnings --save).
-- A method-level evaluation with no area: the same for every viewer; $scope is unused.
SELECT * FROM warning.quality WHERE length($scope) > 0
