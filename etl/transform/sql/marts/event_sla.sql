-- Each event's service-level state at the data's as-of instant (meta.as_of), for the overdue list,
-- the backlog and its age, and dispatch delays. 按期 means handled (处置) by the deadline, as in
-- the KPIs; the deadline comes from the subclass's working-time limit. The lifecycle columns the
-- counters need (accepted_at, is_closed, closed_on_time) are carried, so the screen's queries
-- read this one table instead of joining it to the events. The time to the deadline is for the
-- unhandled only, the age for the cases not refused (不予立案 ends a case: it is in no backlog, and
-- a refused case's row never moves); an incremental refresh recomputes the rows that move with the
-- as-of instant (incremental/event_sla.sql).
SELECT
    e.event_id, e.grid_code, e.community_code, e.street_code, e.district_code,
    e.class_code, e.subclass_code, e.department, e.source, e.reported_at, e.accepted_at,
    e.deadline, e.closed_at, e.is_closed, e.closed_on_time,
    CASE
        WHEN e.status = '不予立案'                              THEN '不予立案'
        WHEN e.accepted_at IS NULL                             THEN '待立案'
        WHEN e.dispatched_at IS NULL                           THEN '待派遣'
        WHEN e.is_closed AND e.closed_on_time                  THEN '按期办结'
        WHEN e.is_closed                                       THEN '超期办结'
        WHEN e.handled_at IS NOT NULL AND e.handled_at <= e.deadline THEN '已处置待结案'
        WHEN e.handled_at IS NOT NULL                          THEN '超期处置待结案'
        WHEN e.deadline < m.as_of                              THEN '在办超期'
        ELSE '在办未超期'
    END                                                        AS sla_state,
    NOT e.is_closed AND e.status <> '不予立案'                   AS is_open,
    e.handled_at IS NULL AND e.deadline < m.as_of
        AND e.status <> '不予立案'                               AS overdue_open,
    date_diff('minute', e.accepted_at, e.dispatched_at)        AS dispatch_minutes,
    CASE WHEN e.status <> '不予立案'
         THEN date_diff('minute', e.reported_at, coalesce(e.closed_at, m.as_of)) END AS age_minutes,
    CASE WHEN e.handled_at IS NULL AND e.status <> '不予立案'
         THEN date_diff('minute', m.as_of, e.deadline) END     AS minutes_to_deadline
FROM wh.core.events e, wh.ops.meta m
WHERE e.reported_at <= m.as_of
