-- Events in the heatmap filter (sql/_event_filter.sql): reported (上报) in [$start, $stop), whole
-- days, inside the area ($scope, already narrowed on the server), of the class and subclass
-- asked for (NULL = all). Every reported event counts, whatever its status
-- (不予立案 included): the heatmaps show where and when problems are reported.
-- located = those with coordinates, the ones the hexagon map can place.
SELECT count(*)                                              AS events,
       count(*) FILTER (lon IS NOT NULL AND lat IS NOT NULL) AS located
FROM core.events e
WHERE
    -- include: event_filter
