-- Per community in the viewer's jurisdiction: residents, events in the last $days days, events
-- per 1,000 residents and 结案率 (应结案 denominator), with the street each belongs to.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
), ev AS (
    SELECT community_code,
           count(*) FILTER (reported_at >= start_day)                                     AS events,
           count(*) FILTER (accepted_at >= start_day AND (is_closed OR deadline <= as_of)) AS due,
           count(*) FILTER (accepted_at >= start_day AND is_closed)                        AS closed
    FROM events, win
    WHERE starts_with(grid_code, $scope) AND reported_at >= start_day - INTERVAL 60 DAY
    GROUP BY community_code
)
SELECT c.code, c.name, c.kind, s.name AS street_name,
       coalesce(p.residents, 0)  AS residents,
       coalesce(p.households, 0) AS households,
       coalesce(ev.events, 0)    AS events,
       round(1000.0 * coalesce(ev.events, 0) / nullif(p.residents, 0), 1) AS events_per_1000,
       coalesce(ev.due, 0)       AS due,
       coalesce(ev.closed, 0)    AS closed
FROM areas c
JOIN areas s ON s.code = c.parent_code
LEFT JOIN mart_area_population p ON p.code = c.code
LEFT JOIN ev ON ev.community_code = c.code
WHERE c.level = 'community' AND starts_with(c.code, $scope)
ORDER BY c.code
