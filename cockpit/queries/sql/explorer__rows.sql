-- One page of events matching the explorer's filters, inside the viewer's jurisdiction ($scope,
-- already narrowed by the area filter on the server). Period: reported on $start_day up to and
-- including $end_day. Optional filters are NULL when not set. Sort: $sort names one of the
-- whitelisted columns (cockpit/queries/explorer.py SORTABLE), bound as a value: time columns and
-- text columns each get one CASE key per direction, the event id breaks ties, so pages are stable.
-- Grid and community names: the current version of each code, else its latest (a redrawn grid
-- keeps its code; a split grid's old code has only ended versions).
-- Free text (the description) is left out: residents type personal data into it.
WITH names AS (
    SELECT code, first(name ORDER BY valid_to IS NULL DESC, valid_from DESC NULLS LAST) AS name
    FROM areas GROUP BY code
), filtered AS (
    SELECT e.event_id, e.reported_at, e.class_name, e.subclass_name, e.source,
           g.name AS grid_name, c.name AS community_name, e.address, e.status,
           s.sla_state, e.department, e.deadline, e.closed_at, e.satisfaction
    FROM events e
    LEFT JOIN mart_event_sla s ON s.event_id = e.event_id
    LEFT JOIN names g ON g.code = e.grid_code
    LEFT JOIN names c ON c.code = e.community_code
    WHERE starts_with(e.grid_code, $scope)
      AND e.reported_at >= CAST($start_day AS DATE)
      AND e.reported_at < CAST($end_day AS DATE) + INTERVAL 1 DAY
      AND ($class_code IS NULL OR e.class_code = $class_code)
      AND ($subclass_code IS NULL OR e.subclass_code = $subclass_code)
      AND ($source IS NULL OR e.source = $source)
      AND ($status IS NULL OR e.status = $status)
      AND ($department IS NULL OR e.department = $department)
)
SELECT *
FROM filtered
ORDER BY
    CASE WHEN $descending THEN CASE $sort WHEN 'reported_at' THEN reported_at
        WHEN 'deadline' THEN deadline WHEN 'closed_at' THEN closed_at END END DESC NULLS LAST,
    CASE WHEN NOT $descending THEN CASE $sort WHEN 'reported_at' THEN reported_at
        WHEN 'deadline' THEN deadline WHEN 'closed_at' THEN closed_at END END ASC NULLS LAST,
    CASE WHEN $descending THEN CASE $sort WHEN 'event_id' THEN event_id
        WHEN 'class_name' THEN class_name WHEN 'subclass_name' THEN subclass_name
        WHEN 'source' THEN source WHEN 'grid_name' THEN grid_name
        WHEN 'community_name' THEN community_name WHEN 'address' THEN address
        WHEN 'status' THEN status
        WHEN 'sla_state' THEN sla_state WHEN 'department' THEN department
        WHEN 'satisfaction' THEN satisfaction END END DESC NULLS LAST,
    CASE WHEN NOT $descending THEN CASE $sort WHEN 'event_id' THEN event_id
        WHEN 'class_name' THEN class_name WHEN 'subclass_name' THEN subclass_name
        WHEN 'source' THEN source WHEN 'grid_name' THEN grid_name
        WHEN 'community_name' THEN community_name WHEN 'address' THEN address
        WHEN 'status' THEN status
        WHEN 'sla_state' THEN sla_state WHEN 'department' THEN department
        WHEN 'satisfaction' THEN satisfaction END END ASC NULLS LAST,
    CASE WHEN $descending THEN event_id END DESC,
    event_id ASC
LIMIT $limit OFFSET $offset
