-- 简报: the briefing's period and the same period of each of the $weeks weeks before it, per
-- group inside the viewer's jurisdiction ($scope): the areas of code length $child_len (the
-- scope's own length for its totals), or the event subclasses ($by_subclass).
-- Period k (0 = the briefing's) covers the days $last_day − 7k − $days + 1 … $last_day − 7k and is
-- counted as it stood at $cutoff − 7k days: each earlier period is seen the same time after its
-- end as the briefing's own, so it has had no longer to close its cases.
-- The KPI rule is the screen's (screen__kpis.sql, GB/T 30428) at that cut-off: 应结案 = cases
-- (立案) whose deadline falls in the period, up to the cut-off; 结案 = those closed by the
-- cut-off; 按期结案 = those closed and handled by the deadline (events.closed_on_time). Also
-- 上报 (reported), 立案 (accepted) and 办结 (closures made) in the period.
WITH p AS (
    SELECT CAST($last_day AS DATE) AS last_day, CAST($days AS INTEGER) AS days,
           CAST($weeks AS INTEGER) AS weeks, CAST($cutoff AS TIMESTAMP) AS cutoff
), e AS (
    SELECT CASE WHEN $by_subclass THEN e.subclass_name ELSE left(e.grid_code, $child_len) END AS code,
           e.reported_at, e.accepted_at, e.closed_at, e.deadline, e.closed_on_time
    FROM core.events e, p
    WHERE starts_with(e.grid_code, $scope)
      AND (e.reported_at >= p.last_day - to_days(7 * p.weeks + p.days)
           OR e.deadline >= p.last_day - to_days(7 * p.weeks + p.days)
           OR e.closed_at >= p.last_day - to_days(7 * p.weeks + p.days))
), marks AS (
    SELECT code, 'reported' AS what, reported_at AS t, NULL::TIMESTAMP AS closed_at, NULL::BOOLEAN AS on_time FROM e
    UNION ALL SELECT code, 'accepted', accepted_at, NULL, NULL FROM e WHERE accepted_at IS NOT NULL
    UNION ALL SELECT code, 'closures', closed_at, NULL, NULL FROM e WHERE closed_at IS NOT NULL
    UNION ALL SELECT code, 'due', deadline, closed_at, closed_on_time FROM e
              WHERE accepted_at IS NOT NULL AND deadline IS NOT NULL
), placed AS (
    SELECT m.*, date_diff('day', m.t::DATE, p.last_day) AS back, p.days, p.weeks, p.cutoff
    FROM marks m, p
), periods AS (
    SELECT code, what, t, closed_at, on_time, back // 7 AS k, cutoff - to_days(7 * (back // 7)) AS cut
    FROM placed
    WHERE back >= 0 AND back % 7 < days AND back // 7 <= weeks
)
SELECT code, k,
       count(*) FILTER (what = 'reported' AND t <= cut)                                 AS reported,
       count(*) FILTER (what = 'accepted' AND t <= cut)                                 AS accepted,
       count(*) FILTER (what = 'closures' AND t <= cut)                                 AS closures,
       count(*) FILTER (what = 'due' AND t <= cut)                                      AS due,
       count(*) FILTER (what = 'due' AND t <= cut AND closed_at <= cut)                 AS closed,
       count(*) FILTER (what = 'due' AND t <= cut AND closed_at <= cut AND on_time)     AS closed_on_time
FROM periods
GROUP BY code, k
ORDER BY code, k
