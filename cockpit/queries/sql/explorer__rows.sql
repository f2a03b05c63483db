-- One page of events matching the explorer's filters (sql/_event_filter.sql: the viewer's
-- jurisdiction narrowed by the area filter, the period [$start, $stop), the values asked for). Sort: $sort names one of the
-- whitelisted columns (cockpit/queries/explorer.py SORTABLE), bound as a value: time columns and
-- text columns each get one CASE key per direction, the event id breaks ties, so pages are stable.
-- Grid and community names: sql/_area_names.sql (a split grid's old code has only ended versions).
-- Free text (the description) is left out: residents type personal data into it.
WITH names AS (
    -- include: area_names
), filtered AS (
    SELECT e.event_id, e.reported_at, e.class_name, e.subclass_name, e.source,
           g.name AS grid_name, c.name AS community_name, e.address, e.status,
           s.sla_state, e.department, e.deadline, e.closed_at, e.satisfaction
    FROM core.events e
    LEFT JOIN mart.event_sla s ON s.event_id = e.event_id
    LEFT JOIN names g ON g.code = e.grid_code
    LEFT JOIN names c ON c.code = e.community_code
    WHERE
        -- include: event_filter
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
