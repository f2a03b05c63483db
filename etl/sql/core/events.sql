-- Events with their lifecycle, category, area hierarchy and handling durations (minutes).
SELECT
    e.*,
    c.class_name,
    c.subclass_name,
    c.board,
    left(e.grid_code, 12) AS community_code,
    left(e.grid_code, 9)  AS street_code,
    left(e.grid_code, 6)  AS district_code,
    e.accepted_at IS NOT NULL                             AS is_case,
    e.closed_at IS NOT NULL                               AS is_closed,
    e.closed_at IS NOT NULL AND e.handled_at <= e.deadline AS closed_on_time,  -- 按期: handled within the limit
    date_diff('minute', e.reported_at, e.accepted_at)     AS minutes_to_accept,
    date_diff('minute', e.accepted_at, e.dispatched_at)   AS minutes_to_dispatch,
    date_diff('minute', e.reported_at, e.closed_at)       AS minutes_to_close
FROM memory.stg_events e
JOIN wh.event_categories c USING (subclass_code)
