-- Months that have cases in the viewer's jurisdiction (the period selector's choices), newest
-- first, and the data's as-of instant (the "now" of every window on this page).
SELECT DISTINCT k.month, m.as_of
FROM mart.area_kpis_monthly k, ops.meta m
WHERE k.level = 'grid' AND starts_with(k.code, $scope)
ORDER BY k.month DESC
