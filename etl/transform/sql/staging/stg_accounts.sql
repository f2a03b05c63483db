-- Typed 平台账号 (platform accounts) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    account_id,
    level,
    area_code,
    role,
    holder_name_masked,
    phone_masked,
    status,
    CAST(created_date AS DATE) AS created_date
FROM memory.checked_accounts
