-- Events with their lifecycle, category and place in the area hierarchy.
SELECT
    e.*,
    c.class_name,
    c.subclass_name,
    left(e.grid_code, 12) AS community_code,
    left(e.grid_code, 9)  AS street_code,
    left(e.grid_code, 6)  AS district_code,
    e.closed_at IS NOT NULL                                AS is_closed,
    e.closed_at IS NOT NULL AND e.handled_at <= e.deadline AS closed_on_time  -- 按期: handled within the limit
FROM memory.stg_events e
JOIN wh.core.event_categories c USING (subclass_code)
