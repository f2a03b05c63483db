-- 预警研判: space-time clusters of the last $days days up to as-of that touch the viewer's
-- jurisdiction; only the cluster's grids inside the scope are named (grid_codes is ';'-joined).
-- A cluster's series is a subclass, a class (its class code) or all reports ('ALL').
WITH recent AS (
    SELECT row_number() OVER (ORDER BY c.day DESC, c.llr DESC) AS cluster_no, c.*
    FROM warning_clusters c, meta m
    WHERE c.day > m.as_of::DATE - to_days(CAST($days AS INTEGER))
), grids AS (
    SELECT r.cluster_no, trim(g.code) AS grid_code
    FROM recent r, unnest(string_split(r.grid_codes, ';')) AS g(code)
    WHERE starts_with(trim(g.code), $scope)
)
SELECT r.cluster_no, r.day, r.subclass_code,
       coalesce(ec.subclass_name, cc.class_name || '（全类）',
                CASE WHEN r.subclass_code = 'ALL' THEN '全部事件' END, r.subclass_code) AS subclass_name,
       r.n_grids, count(*) AS grids_in_scope,
       string_agg(coalesce(a.name, g.grid_code), '、' ORDER BY g.grid_code) AS grid_names,
       string_agg(g.grid_code, ';' ORDER BY g.grid_code) AS grids_here,
       r.window_days, r.observed, r.expected, r.rate_ratio, r.llr, r.p_value, r.recurrence_days
FROM recent r
JOIN grids g USING (cluster_no)
LEFT JOIN areas a ON a.code = g.grid_code AND a.valid_to IS NULL
LEFT JOIN (SELECT DISTINCT subclass_code, subclass_name FROM event_categories) ec
       ON ec.subclass_code = r.subclass_code
LEFT JOIN (SELECT DISTINCT class_code, class_name FROM event_categories) cc ON cc.class_code = r.subclass_code
GROUP BY ALL
ORDER BY r.day DESC, r.llr DESC
