-- The $top communities of the viewer's area with the most activities in the period (ties: more
-- participants first, then code), with their participants (人次) and volunteer turnout.
WITH act AS (
    SELECT a.community_code, count(*) AS activities, sum(a.participants) AS participants,
           sum(a.volunteers) AS volunteer_turnout
    FROM core.service_activities a
    WHERE starts_with(a.community_code, $scope)
      AND a.activity_date >= $start AND a.activity_date < $stop
    GROUP BY a.community_code
)
SELECT act.community_code, coalesce(c.name, act.community_code) AS community_name,
       act.activities, act.participants, act.volunteer_turnout
FROM act
LEFT JOIN core.areas_in_force c ON c.code = act.community_code AND c.level = 'community'
ORDER BY act.activities DESC, act.participants DESC, act.community_code
LIMIT $top
