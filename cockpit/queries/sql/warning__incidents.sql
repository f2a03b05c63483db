-- 预警研判: early-warning incidents (runs of alerts of one subclass) whose area is inside the
-- viewer's jurisdiction; ongoing first, then the most recent, then the strongest.
SELECT incident_id, subclass_code, subclass_name, class_name, areas, level, area_code, area_name,
       first_day, last_day, alerts, peak_score, status, excess, excess_low, excess_high,
       peak_ratio, peak_offset, days_to_baseline, level_before, slope_before, level_after,
       slope_after, change_points, recur_30, recur_90, events, open, overdue, oldest_open_hours,
       dispatch_median_minutes, departments, satisfied_share, rework_share,
       date_diff('day', first_day, last_day) + 1 AS duration_days
FROM warning_incidents
WHERE starts_with(area_code, $scope)
ORDER BY status = '进行中' DESC, last_day DESC, peak_score DESC, incident_id
