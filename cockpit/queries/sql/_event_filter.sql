-- The event filter (cockpit/queries/filters.py EventFilter) over `events e`: inside the viewer's
-- jurisdiction ($scope, already narrowed on the server), reported in [$start, $stop), and of each
-- value asked for (NULL = any). Included where a query says `-- include: event_filter`.
starts_with(e.grid_code, $scope)
AND e.reported_at >= $start AND e.reported_at < $stop
AND ($class_code IS NULL OR e.class_code = $class_code)
AND ($subclass_code IS NULL OR e.subclass_code = $subclass_code)
AND ($source IS NULL OR e.source = $source)
AND ($status IS NULL OR e.status = $status)
AND ($department IS NULL OR e.department = $department)
