-- Whether the warnings are those of the served data (a refresh publishes its data, then, a
-- minute later at city scale, its warnings: meanwhile they are the previous data's), and by how
-- much their as-of instant trails the data's.
SELECT w.data_run <> m.run_id AS lagging,
       coalesce(epoch(m.as_of) - epoch(w.as_of), 0) AS lag_seconds
FROM warning.meta w, ops.meta m
