-- 简报: the incidents the early-warning screen showed on the days $first_day … $last_day that the
-- viewer's jurisdiction sees (warning.incident_areas), one row each: new in the period (the
-- screen marked it new on a day of it) or going on, a rise (excess) or a drop, its best place on the
-- screen, and what and where it is.
SELECT s.incident_id, any_value(s.kind) AS kind, min(s.since) AS since, min(s.rank) AS best_rank,
       max(s.day) AS last_seen, bool_or(s.new) AS new,
       any_value(i.kind_name) AS kind_name, any_value(i.area_name) AS area_name,
       any_value(i.subject) AS subject, any_value(i.n_grids) AS n_grids
FROM warning.screen s JOIN warning.incidents i USING (incident_id)
WHERE s.on_screen AND s.day >= CAST($first_day AS DATE) AND s.day <= CAST($last_day AS DATE)
  AND EXISTS (SELECT 1 FROM warning.incident_areas a
              WHERE a.incident_id = s.incident_id AND starts_with(a.area_code, $scope))
GROUP BY s.incident_id
ORDER BY any_value(s.kind) = 'drop', new DESC, best_rank, since, s.incident_id
