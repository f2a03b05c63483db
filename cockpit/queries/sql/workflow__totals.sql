-- GB/T 30428 KPIs of the whole jurisdiction over the months [$start, $stop), summed from the
-- grid rows of mart.area_kpis_monthly (every case sits in exactly one grid row). 应结案 = cases whose
-- deadline falls in the period (up to as-of); 结案率 = 结案/应结案, 按期结案率 = 按期结案/应结案,
-- 返工率 = 返工过的/应结案, 延期率 = 延期过的/应结案; 立案数 = cases opened in the period.
SELECT coalesce(sum(accepted), 0)       AS accepted,
       coalesce(sum(due), 0)            AS due,
       coalesce(sum(closed), 0)         AS closed,
       coalesce(sum(closed_on_time), 0) AS closed_on_time,
       coalesce(sum(reworked), 0)       AS reworked,
       coalesce(sum(extended), 0)       AS extended
FROM mart.area_kpis_monthly
WHERE level = 'grid' AND starts_with(code, $scope) AND month >= $start AND month < $stop
