-- The months an update may change: those of the merged events' deadlines and acceptances (old
-- state and new), and the months between the served as-of and the new one, where cases fall due
-- (either way: reopening the last closed event moves the as-of back).
SELECT date_trunc('month', deadline)::DATE AS month FROM memory.touched_versions WHERE deadline IS NOT NULL
UNION ALL
SELECT date_trunc('month', accepted_at)::DATE FROM memory.touched_versions WHERE accepted_at IS NOT NULL
UNION ALL
SELECT unnest(generate_series(date_trunc('month', least(p.as_of, m.as_of)),
                              date_trunc('month', greatest(p.as_of, m.as_of)), INTERVAL 1 MONTH))::DATE
FROM memory.previous_meta p, wh.ops.meta m
