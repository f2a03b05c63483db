-- Open cases past their deadline at the as-of instant (mart.event_sla.overdue_open: handling not
-- finished and the deadline passed), most overdue first, one page ($limit rows from $offset).
-- Hours overdue are elapsed hours since the deadline (the deadline itself counts working time).
-- No personal data: no address, description or reporter.
WITH names AS (
    -- include: area_names
)
SELECT s.event_id, c.class_name, c.subclass_name, g.name AS grid_name, cm.name AS community_name,
       coalesce(s.department, '未指派') AS department, s.deadline,
       round(date_diff('minute', s.deadline, m.as_of) / 60.0, 1) AS hours_overdue
FROM mart.event_sla s
JOIN ops.meta m ON TRUE
LEFT JOIN core.event_categories c USING (subclass_code)
LEFT JOIN names g ON g.code = s.grid_code
LEFT JOIN names cm ON cm.code = s.community_code
WHERE s.overdue_open AND starts_with(s.grid_code, $scope)
  AND ($department IS NULL OR s.department = $department)
ORDER BY s.deadline, s.event_id
LIMIT $limit OFFSET $offset
