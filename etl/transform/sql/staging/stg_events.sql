-- Typed events with every workflow timestamp; empty cells become NULL. Free text arrives scrubbed of
-- ID and mobile numbers (hotline transcripts name their callers; etl/privacy/pseudonymise.py).
SELECT
    trim(event_id)                                         AS event_id,
    trim(source)                                           AS source,
    trim(class_code)                                       AS class_code,
    trim(subclass_code)                                    AS subclass_code,
    CAST(trim(reported_at) AS TIMESTAMP)                   AS reported_at,
    CAST(trim(lon) AS DOUBLE)                              AS lon,
    CAST(trim(lat) AS DOUBLE)                              AS lat,
    trim(grid_code)                                        AS grid_code,
    address                                                AS address,
    description                                            AS description,
    TRY_CAST(nullif(trim(accepted_at), '') AS TIMESTAMP)   AS accepted_at,
    TRY_CAST(nullif(trim(dispatched_at), '') AS TIMESTAMP) AS dispatched_at,
    TRY_CAST(nullif(trim(handled_at), '') AS TIMESTAMP)    AS handled_at,
    TRY_CAST(nullif(trim(verified_at), '') AS TIMESTAMP)   AS verified_at,
    TRY_CAST(nullif(trim(closed_at), '') AS TIMESTAMP)     AS closed_at,
    nullif(trim(department), '')                           AS department,
    TRY_CAST(nullif(trim(deadline), '') AS TIMESTAMP)      AS deadline,
    CAST(trim(rework_count) AS INTEGER)                    AS rework_count,
    CAST(trim(extension_count) AS INTEGER)                 AS extension_count,
    nullif(trim(satisfaction), '')                         AS satisfaction,
    trim(status)                                           AS status
FROM memory.checked_events
