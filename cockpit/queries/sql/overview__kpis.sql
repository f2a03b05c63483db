-- Counters inside the viewer's jurisdiction ($scope, an area-code prefix) for the last $days days
-- up to the data's as-of instant. 结案率 uses the 应结案 denominator (GB/T 30428): cases opened in
-- the window that are closed or already past their deadline; cases not yet due are left out.
WITH win AS (
    SELECT as_of, as_of::DATE - to_days(CAST($days AS INTEGER) - 1) AS start_day FROM meta
), cases AS (
    SELECT e.*, w.as_of, w.start_day
    FROM events e, win w
    WHERE starts_with(e.grid_code, $scope)
)
SELECT
    (SELECT count(*) FROM persons WHERE starts_with(grid_code, $scope))               AS residents,
    (SELECT count(*) FROM households WHERE starts_with(grid_code, $scope))            AS households,
    (SELECT count(*) FROM areas WHERE level = 'grid' AND starts_with(code, $scope))   AS grids,
    count(*) FILTER (reported_at >= start_day AND reported_at <= as_of)               AS events,
    count(*) FILTER (accepted_at >= start_day AND (is_closed OR deadline <= as_of))   AS due,
    count(*) FILTER (accepted_at >= start_day AND is_closed)                          AS closed,
    count(*) FILTER (accepted_at >= start_day AND closed_on_time)                     AS closed_on_time
FROM cases
