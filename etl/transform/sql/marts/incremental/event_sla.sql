-- per event: a row per event, computed from that event's row alone
-- The events whose service-level row an update may change: those it merged (old or new state),
-- and those whose row moves with the as-of instant (not both handled and closed, nor refused:
-- their backlog age, overdue state and time to the deadline run on). Handled and closed events,
-- and refused ones (不予立案), stay as they are.
SELECT event_id FROM memory.touched_versions
UNION ALL
SELECT event_id FROM wh.core.events WHERE (handled_at IS NULL OR closed_at IS NULL) AND status <> '不予立案'
