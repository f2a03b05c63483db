-- The areas in force at the data's as-of instant (meta.as_of): the version of each code that has
-- begun (valid_from empty or on/before as-of) and not ended (valid_to empty or after as-of). The
-- one definition: the map shapes, the marts, the cockpit and the notebooks read this view, never
-- `valid_to IS NULL` (an area drawn for a date after as-of, or retired after it, tells the two
-- apart). A view, not a table: it follows meta when an incremental run moves the as-of instant.
SELECT a.*
FROM core.areas a, ops.meta m
WHERE coalesce(a.valid_from <= m.as_of, true) AND (a.valid_to IS NULL OR a.valid_to > m.as_of)
