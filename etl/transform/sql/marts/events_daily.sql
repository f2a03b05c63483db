-- Events per grid × subclass × day reported: the series the heatmaps, trends and early warning
-- read. A grid code is the version's code on the day reported (a split grid's old code ends with
-- it). Workflow counts are of the events reported that day, as they stand at the as-of instant.
SELECT
    grid_code,
    class_code,
    subclass_code,
    reported_at::DATE                                 AS day,
    count(*)                                          AS reported,
    count(*) FILTER (status = '不予立案')               AS rejected,
    count(*) FILTER (accepted_at IS NOT NULL)         AS accepted,
    count(*) FILTER (is_closed)                       AS closed,
    count(*) FILTER (closed_on_time)                  AS closed_on_time,
    count(*) FILTER (rework_count > 0)                AS reworked,
    count(*) FILTER (extension_count > 0)             AS extended
FROM wh.core.events
GROUP BY grid_code, class_code, subclass_code, reported_at::DATE
