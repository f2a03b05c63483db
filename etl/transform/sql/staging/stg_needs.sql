-- Typed 需求清单 (needs ledger) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    need_id                                     AS need_id,
    community_code                              AS community_code,
    grid_code                                   AS grid_code,
    CAST(reported_date AS DATE)                 AS reported_date,
    source                                      AS source,
    content                                     AS content,
    domain                                      AS domain,
    target_group                                AS target_group,
    difficulty                                  AS difficulty,
    urgency                                     AS urgency,
    responsible_unit                            AS responsible_unit,
    CAST(time_limit_days AS INTEGER)            AS time_limit_days,
    status                                      AS status,
    TRY_CAST(nullif(resolved_date, '') AS DATE) AS resolved_date,
    nullif(satisfaction, '')                    AS satisfaction
FROM memory.checked_needs
