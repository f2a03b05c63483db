-- Service counters inside the viewer's area ($scope, an area-code prefix) for the window
-- [$start, $stop): the last days up to the data's as-of instant, or all time up to it
-- (queries/filters.py). These tables hold dates: a date is in the window when its midnight is.
--   projects          = service projects whose run [start_date, end_date] overlaps the period
--   projects_in_force = of those, still running on the as-of date (start_date <= as-of <= end_date)
--   activities        = activities held in the period; participants = their sum(participants)
--                       (people reached, counted once per activity: 人次);
--   volunteer_turnout = sum(volunteers) of those activities (志愿者参与人次)
--   volunteers / teams / service_hours: the volunteer register, cumulative (no period): people
--   registered by the as-of date, their teams, and the sum of their recorded service hours.
WITH m AS (
    SELECT as_of::DATE AS end_day FROM ops.meta
), p AS (
    SELECT p.start_date, p.end_date, m.end_day
    FROM core.service_projects p, m
    WHERE starts_with(p.community_code, $scope)
      AND p.start_date < $stop AND p.end_date >= $start
), a AS (
    SELECT a.participants, a.volunteers
    FROM core.service_activities a
    WHERE starts_with(a.community_code, $scope)
      AND a.activity_date >= $start AND a.activity_date < $stop
), v AS (
    SELECT v.service_hours
    FROM core.volunteers v
    WHERE starts_with(v.community_code, $scope) AND v.registered_date < $stop
)
SELECT
    (SELECT count(*) FROM p)                                                     AS projects,
    (SELECT count(*) FROM p WHERE start_date <= end_day AND end_date >= end_day) AS projects_in_force,
    (SELECT count(*) FROM a)                                                     AS activities,
    (SELECT coalesce(sum(participants), 0) FROM a)                               AS participants,
    (SELECT coalesce(sum(volunteers), 0) FROM a)                                 AS volunteer_turnout,
    (SELECT count(*) FROM v)                                                     AS volunteers,
    (SELECT coalesce(sum(service_hours), 0) FROM v)                              AS service_hours,
    (SELECT count(*) FROM core.volunteer_teams t
     WHERE starts_with(t.community_code, $scope) AND t.founded_date < $stop)      AS teams
