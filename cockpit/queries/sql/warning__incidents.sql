-- 预警研判: the incidents of the warning window the viewer's jurisdiction sees (warning.incident_areas:
-- an incident's main area, and for an incident of grids or a community each of its grids, so one that
-- straddles a boundary is seen from both sides). Today's screen first (new, then by its rank; drops
-- after), then the most recent.
SELECT i.*, date_diff('day', i.first_day, i.last_day) + 1 AS duration_days
FROM warning.incidents i
WHERE EXISTS (SELECT 1 FROM warning.incident_areas a
              WHERE a.incident_id = i.incident_id AND starts_with(a.area_code, $scope))
ORDER BY i.on_screen DESC, i.kind = 'drop', i.new DESC, i.rank NULLS LAST, i.last_day DESC,
         i.peak_score DESC, i.incident_id
