-- The days an update may change: the report days of the events it merged, old state and new
-- (a day's row counts its events as they stand; nothing in it depends on the as-of instant).
SELECT reported_at::DATE AS day FROM memory.touched_versions
