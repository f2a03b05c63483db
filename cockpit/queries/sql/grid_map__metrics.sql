-- The children of one drill position ($scope: an area code already narrowed to the viewer's
-- jurisdiction on the server) at the next level down ($child_len = 6/9/12/15 digits: district /
-- street / community / grid), with every metric the grid map can colour by. The period is the
-- window [$start, $stop): the last days up to the data's as-of instant (queries/filters.py).
--
-- Definitions (events and needs are those *reported* in the period; states are as at as_of):
--   events          事件数      events reported in the period
--   events_per_1000 每千人事件数 1000 × events / residents (no residents: undefined, NULL)
--   open            在办事件    of those, mart.event_sla.is_open (not closed, not 不予立案)
--   overdue_open    超期在办    of those, mart.event_sla.overdue_open (not handled, past deadline)
--   satisfaction    满意度      100 × rated 满意/基本满意 / rated (满意, 基本满意, 不满意);
--                               nothing rated: NULL. The events table knows these three labels.
--   needs_open      未办结需求  needs reported in the period whose status is not 已解决/无法解决
--   elderly_alone   独居老人    mart.area_population.elderly_alone (the register now; no period)
--
-- Versioned grids: the ETL labels each event (and need) with the grid version in force on its
-- date, so a grid that was split keeps its events under its old, retired code. The map draws the
-- areas in force at the period end (as_of). A code that has events or needs in the period but is
-- no longer in force (a split grid) is returned as its own row with retired = true and its last
-- polygon's centroid: the figure marks it with a symbol, so nothing is dropped and the rows
-- always sum to the position's totals. A redrawn grid keeps its code: its events stay with it.
WITH ev AS (
    SELECT left(s.grid_code, $child_len)                                   AS code,
           count(*)                                                         AS events,
           count(*) FILTER (s.is_open)                                      AS open,
           count(*) FILTER (s.overdue_open)                                 AS overdue_open,
           count(*) FILTER (e.satisfaction IN ('满意', '基本满意'))           AS satisfied,
           count(*) FILTER (e.satisfaction IN ('满意', '基本满意', '不满意')) AS rated
    FROM mart.event_sla s
    JOIN core.events e USING (event_id)
    WHERE starts_with(s.grid_code, $scope)
      AND s.reported_at >= $start AND s.reported_at < $stop
    GROUP BY 1
), nd AS (
    SELECT left(n.grid_code, $child_len) AS code,
           count(*) FILTER (coalesce(n.status, '') NOT IN ('已解决', '无法解决')) AS needs_open
    FROM core.needs n
    WHERE starts_with(n.grid_code, $scope)
      AND n.reported_date >= $start AND n.reported_date < $stop
    GROUP BY 1
), in_force AS (
    SELECT a.code, a.name, a.parent_code, a.centroid_lon, a.centroid_lat,
           NULL::TIMESTAMP AS valid_to, false AS retired
    FROM core.areas_in_force a
    WHERE length(a.code) = $child_len AND starts_with(a.code, $scope)
), last_version AS (                -- deliberately `areas`: a retired code's last shape and name
    SELECT * FROM core.areas WHERE length(code) = $child_len AND starts_with(code, $scope)
    QUALIFY row_number() OVER (PARTITION BY code ORDER BY valid_from DESC NULLS LAST) = 1
), retired AS (
    SELECT o.code, coalesce(v.name, o.code) AS name, coalesce(v.parent_code, left(o.code, length(o.code) - 3)),
           v.centroid_lon, v.centroid_lat, v.valid_to::TIMESTAMP, true
    FROM (SELECT code FROM ev UNION SELECT code FROM nd
          EXCEPT SELECT code FROM in_force) o
    LEFT JOIN last_version v USING (code)
), rows AS (
    SELECT * FROM in_force UNION ALL SELECT * FROM retired
)
SELECT r.code, r.name, r.parent_code, coalesce(p.name, '') AS parent_name,
       r.centroid_lon, r.centroid_lat, r.retired, r.valid_to,
       pop.residents,
       coalesce(ev.events, 0)       AS events,
       1000.0 * coalesce(ev.events, 0) / nullif(pop.residents, 0) AS events_per_1000,
       coalesce(ev.open, 0)         AS open,
       coalesce(ev.overdue_open, 0) AS overdue_open,
       pop.elderly_alone,
       coalesce(nd.needs_open, 0)   AS needs_open,
       coalesce(ev.satisfied, 0)    AS satisfied,
       coalesce(ev.rated, 0)        AS rated,
       100.0 * ev.satisfied / nullif(ev.rated, 0) AS satisfaction
FROM rows r
LEFT JOIN core.areas_in_force p ON p.code = r.parent_code
LEFT JOIN mart.area_population pop ON pop.code = r.code AND NOT r.retired
LEFT JOIN ev ON ev.code = r.code
LEFT JOIN nd ON nd.code = r.code
ORDER BY r.retired, r.code
