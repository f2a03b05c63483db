-- Open311 GeoReport v2 service requests (cockpit/api/routes.py names the fields): the events in
-- the client's jurisdiction ($scope; for a department token only those assigned to $department)
-- among the events $ids, reported in [$start, $end], of the subclasses $service_codes, with the
-- Open311 status $status ('open' | 'closed'); NULL = any (with ids, the caller leaves the other
-- filters NULL, as Open311 says). One page:
-- $limit rows from $offset in a stable order (reported time, then id), and on every row `total`,
-- the number of all matching events (one row of NULLs beside it when the page is empty).
--
-- open / closed: a case is open until it is closed (结案) or refused (不予立案): mart.event_sla's
-- is_open, the rule the screen counts open cases by. What leaves the warehouse, and why:
--   address      the area it lies in (district, street, community and grid names), never the
--                address text: a room number beside 噪音扰民 names the household that called;
--   lat, long    rounded to 0.001° (~110 m north–south, ~80 m east–west at 43° N), for the same
--                reason;
--   description  nothing: residents' free text may name people, which no scrubber can find (the
--                cockpit's own event explorer leaves it out too);
--   updated_at   the latest workflow instant the event has reached.
WITH matching AS (                -- the SLA mart carries every column a filter needs
    SELECT event_id, reported_at
    FROM mart.event_sla
    WHERE starts_with(grid_code, $scope)
      AND ($department IS NULL OR department = $department)
      AND (CAST($ids AS VARCHAR[]) IS NULL OR list_contains(CAST($ids AS VARCHAR[]), event_id))
      AND (CAST($start AS TIMESTAMP) IS NULL OR reported_at >= CAST($start AS TIMESTAMP))
      AND (CAST($end AS TIMESTAMP) IS NULL OR reported_at <= CAST($end AS TIMESTAMP))
      AND (CAST($service_codes AS VARCHAR[]) IS NULL
           OR list_contains(CAST($service_codes AS VARCHAR[]), subclass_code))
      AND (CAST($status AS VARCHAR) IS NULL
           OR CAST($status AS VARCHAR) = CASE WHEN is_open THEN 'open' ELSE 'closed' END)
), page AS (
    SELECT event_id, reported_at FROM matching ORDER BY reported_at, event_id LIMIT $limit OFFSET $offset
), names AS (
    -- include: area_names
), rows_ AS (
    SELECT e.event_id, e.reported_at, e.subclass_code, e.subclass_name, e.class_name, e.source,
           e.status, s.sla_state, CASE WHEN s.is_open THEN 'open' ELSE 'closed' END AS open311_status,
           e.department, e.deadline,
           greatest(e.reported_at, e.accepted_at, e.dispatched_at, e.handled_at, e.verified_at,
                    e.closed_at) AS updated_at,
           e.grid_code,
           concat_ws('', d.name, st.name,
                     CASE WHEN starts_with(g.name, c.name) THEN NULL ELSE c.name END, g.name) AS area_address,
           round(e.lat, 3) AS lat, round(e.lon, 3) AS lon
    FROM page p       -- joined on the report time too: its range prunes both scans to the page's
    JOIN core.events e ON e.event_id = p.event_id AND e.reported_at = p.reported_at
    JOIN mart.event_sla s ON s.event_id = p.event_id AND s.reported_at = p.reported_at
    LEFT JOIN names d ON d.code = e.district_code
    LEFT JOIN names st ON st.code = e.street_code
    LEFT JOIN names c ON c.code = e.community_code
    LEFT JOIN names g ON g.code = e.grid_code
)
SELECT t.total, r.*
FROM (SELECT count(*) AS total FROM matching) t
LEFT JOIN rows_ r ON true
ORDER BY r.reported_at, r.event_id
