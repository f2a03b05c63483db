-- 预警研判 map, hot grids: the current grids inside the viewer's jurisdiction that an active
-- grid-level alert names, or a space-time cluster of the last $days days up to as-of, with the
-- strongest alert's subclass and the clusters' largest rate ratio. (Polygons: geometry__by_codes.sql.)
WITH grids AS (
    SELECT a.code, a.name
    FROM areas a, meta m                 -- the versions in force at as-of, as map_shapes holds
    WHERE a.level = 'grid' AND starts_with(a.code, $scope)
      AND coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
), alerted AS (
    SELECT area_code AS code, count(*) AS alerts, arg_max(subclass_name, score) AS top_subclass
    FROM warning_alerts
    WHERE active AND level = 'grid' AND starts_with(area_code, $scope)
    GROUP BY area_code
), clustered AS (
    SELECT trim(g.code) AS code, count(*) AS clusters, max(c.rate_ratio) AS rate_ratio
    FROM warning_clusters c, meta m, unnest(string_split(c.grid_codes, ';')) AS g(code)
    WHERE c.day > m.as_of::DATE - to_days(CAST($days AS INTEGER)) AND starts_with(trim(g.code), $scope)
    GROUP BY 1
)
SELECT g.code, g.name, coalesce(a.alerts, 0) AS alerts, a.top_subclass,
       coalesce(c.clusters, 0) AS clusters, c.rate_ratio
FROM grids g
LEFT JOIN alerted a USING (code)
LEFT JOIN clustered c USING (code)
WHERE a.code IS NOT NULL OR c.code IS NOT NULL
ORDER BY g.code
