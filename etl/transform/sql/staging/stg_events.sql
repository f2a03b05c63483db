-- Typed events with every workflow timestamp; empty cells become NULL. Free text arrives scrubbed of
-- ID and mobile numbers (hotline transcripts name their callers; etl/privacy/pseudonymise.py).
SELECT
    event_id,
    source,
    class_code,
    subclass_code,
    CAST(reported_at AS TIMESTAMP)                   AS reported_at,
    CAST(lon AS DOUBLE)                              AS lon,
    CAST(lat AS DOUBLE)                              AS lat,
    grid_code,
    address,
    description,
    TRY_CAST(nullif(accepted_at, '') AS TIMESTAMP)   AS accepted_at,
    TRY_CAST(nullif(dispatched_at, '') AS TIMESTAMP) AS dispatched_at,
    TRY_CAST(nullif(handled_at, '') AS TIMESTAMP)    AS handled_at,
    TRY_CAST(nullif(verified_at, '') AS TIMESTAMP)   AS verified_at,
    TRY_CAST(nullif(closed_at, '') AS TIMESTAMP)     AS closed_at,
    nullif(department, '')                           AS department,
    TRY_CAST(nullif(deadline, '') AS TIMESTAMP)      AS deadline,
    CAST(rework_count AS INTEGER)                    AS rework_count,
    CAST(extension_count AS INTEGER)                 AS extension_count,
    nullif(satisfaction, '')                         AS satisfaction,
    status
FROM memory.checked_events
