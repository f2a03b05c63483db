-- The early-warning tables this generation holds (an older generation may have none of them;
-- warning_quality only after `python -m etl evaluate-warnings --save` and a refresh).
-- $scope is bound by run() and unused: which tables exist is the same for every viewer.
SELECT table_name FROM duckdb_tables()
WHERE table_name LIKE 'warning\_%' ESCAPE '\' AND length($scope) > 0
ORDER BY table_name
