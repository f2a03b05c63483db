-- Typed 平台账号 (platform accounts) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(account_id)                 AS account_id,
    trim(level)                      AS level,
    trim(area_code)                  AS area_code,
    trim(role)                       AS role,
    holder_name_masked               AS holder_name_masked,
    phone_masked                     AS phone_masked,
    trim(status)                     AS status,
    CAST(trim(created_date) AS DATE) AS created_date
FROM memory.checked_accounts
