-- Whether the warnings are those of the served data: a refresh serves new data a minute before
-- its warnings (etl/refresh.py), and until then the warnings are of the data before. $scope is bound by run() and unused: the same for every viewer.
SELECT w.as_of AS warning_as_of, m.as_of AS data_as_of
FROM warning.meta w, ops.meta m
WHERE w.data_run <> m.run_id AND length($scope) > 0
