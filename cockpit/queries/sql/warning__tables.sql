-- The early-warning tables (schema `warning`) this generation holds (early warning off: none;
-- warning.quality only after `python -m etl evaluate-warnings --save` and a refresh).
-- $scope is bound by run() and unused: which tables exist is the same for every viewer.
SELECT table_name FROM duckdb_tables()
WHERE schema_name = 'warning' AND length($scope) > 0
ORDER BY table_name
