-- Daily event counts per grid × subclass × source: the base of trends, maps and warnings.
SELECT
    grid_code, community_code, street_code, district_code,
    class_code, subclass_code, source,
    reported_at::DATE                         AS day,
    count(*)                                  AS reported,
    count(*) FILTER (is_case)                 AS cases,
    count(*) FILTER (is_closed)               AS closed
FROM wh.events
GROUP BY ALL
