-- Events of the heatmap filter (same definition as heatmap__total.sql) counted per hexagon.
-- Points are projected to metres with a local equirectangular projection around ($lon0, $lat0)
-- (x = R·Δλ·cos φ0, y = R·Δφ): an affine map of lon/lat, so a hexagon drawn back in lon/lat
-- holds exactly the points binned into it. Pointy-top hexagons of circumradius $radius (metres),
-- axial coordinates (q, r) by cube rounding. Only non-empty hexagons are returned.
WITH pts AS (
    SELECT radians(lon - $lon0) * $earth_radius * cos(radians($lat0)) AS x,
           radians(lat - $lat0) * $earth_radius                       AS y
    FROM core.events e
    WHERE
        -- include: event_filter
      AND lon IS NOT NULL AND lat IS NOT NULL
), frac AS (
    SELECT (sqrt(3) / 3 * x - y / 3) / $radius AS fq,
           (2.0 / 3 * y) / $radius             AS fr
    FROM pts
), cube AS (
    SELECT fq, fr, -fq - fr AS fs, round(fq) AS rq, round(fr) AS rr, round(-fq - fr) AS rs
    FROM frac
), axial AS (
    -- the rounded coordinate that moved most is recomputed from the other two
    SELECT CASE WHEN abs(rq - fq) > abs(rr - fr) AND abs(rq - fq) > abs(rs - fs)
                THEN -rr - rs ELSE rq END AS q,
           CASE WHEN abs(rq - fq) > abs(rr - fr) AND abs(rq - fq) > abs(rs - fs) THEN rr
                WHEN abs(rr - fr) > abs(rs - fs) THEN -rq - rs
                ELSE rr END AS r
    FROM cube
)
SELECT q::INTEGER AS q, r::INTEGER AS r, count(*) AS events
FROM axial
GROUP BY ALL
ORDER BY q, r
