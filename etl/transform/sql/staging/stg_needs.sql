-- Typed 需求清单 (needs ledger) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    need_id,
    community_code,
    grid_code,
    CAST(reported_date AS DATE)                 AS reported_date,
    source,
    content,
    domain,
    target_group,
    difficulty,
    urgency,
    responsible_unit,
    CAST(time_limit_days AS INTEGER)            AS time_limit_days,
    status,
    TRY_CAST(nullif(resolved_date, '') AS DATE) AS resolved_date,
    nullif(satisfaction, '')                    AS satisfaction
FROM memory.checked_needs
