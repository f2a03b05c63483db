-- The days a period may cover: from the first day with an event in the viewer's jurisdiction to
-- the data's as-of instant (meta.as_of, never the wall clock).
SELECT (SELECT as_of FROM ops.meta)                                          AS as_of,
       (SELECT min(reported_at) FROM core.events WHERE starts_with(grid_code, $scope)) AS first_at
