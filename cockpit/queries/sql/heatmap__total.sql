-- Events in the heatmap filter: reported (上报) in [$start, $stop) — whole days, $stop exclusive —
-- inside the area prefix ($scope, already narrowed on the server), of event class $class_code
-- and subclass $subclass_code ('' = all). Every reported event counts, whatever its status
-- (不予立案 included): the heatmaps show where and when problems are reported.
-- located = those with coordinates, the ones the hexagon map can place.
SELECT count(*)                                              AS events,
       count(*) FILTER (lon IS NOT NULL AND lat IS NOT NULL) AS located
FROM events
WHERE starts_with(grid_code, $scope)
  AND reported_at >= $start AND reported_at < $stop
  AND ($class_code = '' OR class_code = $class_code)
  AND ($subclass_code = '' OR subclass_code = $subclass_code)
