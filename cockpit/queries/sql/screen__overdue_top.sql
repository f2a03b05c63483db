-- The open cases longest past their deadline (未处置且已超期), for the early-warning strip:
-- category, community, department and hours overdue. No personal data.
SELECT s.event_id, c.subclass_name, a.name AS community_name, s.department,
       -s.minutes_to_deadline / 60 AS hours_overdue
FROM mart_event_sla s
JOIN event_categories c USING (subclass_code)
LEFT JOIN areas a ON a.code = s.community_code AND a.valid_to IS NULL
WHERE starts_with(s.grid_code, $scope) AND s.overdue_open
ORDER BY s.minutes_to_deadline, s.event_id
LIMIT $limit
