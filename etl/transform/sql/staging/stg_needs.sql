-- Typed 需求清单 (needs ledger) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(need_id)                                     AS need_id,
    trim(community_code)                              AS community_code,
    trim(grid_code)                                   AS grid_code,
    CAST(trim(reported_date) AS DATE)                 AS reported_date,
    trim(source)                                      AS source,
    trim(content)                                     AS content,
    trim(domain)                                      AS domain,
    trim(target_group)                                AS target_group,
    trim(difficulty)                                  AS difficulty,
    trim(urgency)                                     AS urgency,
    trim(responsible_unit)                            AS responsible_unit,
    CAST(trim(time_limit_days) AS INTEGER)            AS time_limit_days,
    trim(status)                                      AS status,
    TRY_CAST(nullif(trim(resolved_date), '') AS DATE) AS resolved_date,
    nullif(trim(satisfaction), '')                    AS satisfaction
FROM memory.checked_needs
