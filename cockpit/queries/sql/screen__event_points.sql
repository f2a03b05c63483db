-- The events reported in the window [$start, $stop) (the last days up to as-of) inside the viewer's
-- jurisdiction, as points (a grid worker's map): where, what, when, the state at as-of and the
-- handling department. The address is free text: the cockpit scrubs it before it is shown.
SELECT e.event_id, e.lon, e.lat, e.subclass_name, e.class_name, e.reported_at, e.status, e.address,
       e.department, s.is_open, coalesce(s.overdue_open, false) AS overdue_open   -- no deadline yet: not overdue
FROM core.events e
JOIN mart.event_sla s USING (event_id)
WHERE starts_with(e.grid_code, $scope)
  AND e.reported_at >= $start AND e.reported_at < $stop
  AND e.lon IS NOT NULL AND e.lat IS NOT NULL
ORDER BY e.reported_at DESC, e.event_id
LIMIT $limit
