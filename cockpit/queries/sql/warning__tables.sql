-- The early-warning tables (schema `warning`) this generation holds (early warning off: none;
-- warning.quality only after `python -m etl evaluate-warnings --save` and a refresh). A large one
-- is a view over its Parquet partitions (etl/storage.py), so views count.
-- $scope is bound by run() and unused: which tables exist is the same for every viewer.
SELECT table_name FROM duckdb_tables()
WHERE schema_name = 'warning' AND length($scope) > 0
UNION
SELECT view_name FROM duckdb_views()
WHERE schema_name = 'warning' AND NOT internal AND length($scope) > 0
ORDER BY table_name
