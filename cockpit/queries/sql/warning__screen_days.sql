-- 预警研判: per day of the warning window, the rows the screen showed that the viewer sees (new,
-- ongoing, drops), and whether the day's screen was full (more incidents than places).
SELECT s.day, count(*) FILTER (s.on_screen) AS shown,
       count(*) FILTER (s.on_screen AND s.new AND s.kind <> 'drop') AS new,
       count(*) FILTER (s.on_screen AND NOT s.new AND s.kind <> 'drop') AS ongoing,
       count(*) FILTER (s.on_screen AND s.kind = 'drop') AS drops,
       count(*) FILTER (NOT s.on_screen) AS left_off
FROM warning.screen s
WHERE EXISTS (SELECT 1 FROM warning.incident_areas a
              WHERE a.incident_id = s.incident_id AND starts_with(a.area_code, $scope))
GROUP BY s.day
ORDER BY s.day
