-- Typed 平台账号 (platform accounts) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    account_id                 AS account_id,
    level                      AS level,
    area_code                  AS area_code,
    role                       AS role,
    holder_name_masked         AS holder_name_masked,
    phone_masked               AS phone_masked,
    status                     AS status,
    CAST(created_date AS DATE) AS created_date
FROM memory.checked_accounts
