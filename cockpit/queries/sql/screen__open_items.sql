-- The open cases nearest or past their deadline (在办, 不予立案 excluded, as mart.event_sla.is_open),
-- overdue first (the longest past its deadline on top), then by time left; cases not yet given a
-- deadline last. For the screen's strip and the phone view: category, grid, community, department,
-- minutes to the deadline (negative: overdue). A case not yet given a deadline (待立案) is not overdue
-- (mart.event_sla.overdue_open is NULL for it). No personal data.
SELECT s.event_id, c.subclass_name, g.name AS grid_name, a.name AS community_name, s.department,
       coalesce(s.overdue_open, false) AS overdue_open, s.minutes_to_deadline, s.reported_at
FROM mart.event_sla s
JOIN core.event_categories c USING (subclass_code)
LEFT JOIN core.areas_in_force a ON a.code = s.community_code
LEFT JOIN (
    -- include: area_names
) g ON g.code = s.grid_code
WHERE starts_with(s.grid_code, $scope) AND s.is_open
  AND ($overdue_only = false OR coalesce(s.overdue_open, false))
ORDER BY coalesce(s.overdue_open, false) DESC, s.minutes_to_deadline NULLS LAST, s.event_id
LIMIT $limit
