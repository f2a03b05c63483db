-- Service counters inside the viewer's area ($scope, an area-code prefix) for the period
-- [start_day, as-of date]: $days days up to the date of meta.as_of (the data's "now"), or all
-- time when $days is NULL.
--   projects          = service projects whose run [start_date, end_date] overlaps the period
--   projects_in_force = of those, still running on the as-of date (start_date <= as-of <= end_date)
--   activities        = activities held in the period; participants = their sum(participants)
--                       (people reached, counted once per activity: 人次);
--   volunteer_turnout = sum(volunteers) of those activities (志愿者参与人次)
--   volunteers / teams / service_hours: the volunteer register, cumulative (no period): people
--   registered by the as-of date, their teams, and the sum of their recorded service hours.
WITH win AS (
    SELECT as_of::DATE AS end_day,
           coalesce(as_of::DATE - to_days(CAST($days AS INTEGER) - 1), DATE '0001-01-01') AS start_day
    FROM meta
), p AS (
    SELECT p.start_date, p.end_date, w.start_day, w.end_day
    FROM service_projects p, win w
    WHERE starts_with(p.community_code, $scope)
      AND p.start_date <= w.end_day AND p.end_date >= w.start_day
), a AS (
    SELECT a.participants, a.volunteers
    FROM service_activities a, win w
    WHERE starts_with(a.community_code, $scope)
      AND a.activity_date >= w.start_day AND a.activity_date <= w.end_day
), v AS (
    SELECT v.service_hours
    FROM volunteers v, win w
    WHERE starts_with(v.community_code, $scope) AND v.registered_date <= w.end_day
)
SELECT
    (SELECT count(*) FROM p)                                                     AS projects,
    (SELECT count(*) FROM p WHERE start_date <= end_day AND end_date >= end_day) AS projects_in_force,
    (SELECT count(*) FROM a)                                                     AS activities,
    (SELECT coalesce(sum(participants), 0) FROM a)                               AS participants,
    (SELECT coalesce(sum(volunteers), 0) FROM a)                                 AS volunteer_turnout,
    (SELECT count(*) FROM v)                                                     AS volunteers,
    (SELECT coalesce(sum(service_hours), 0) FROM v)                              AS service_hours,
    (SELECT count(*) FROM volunteer_teams t, win w
     WHERE starts_with(t.community_code, $scope) AND t.founded_date <= w.end_day) AS teams
