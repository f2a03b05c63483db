-- 平台账号 (platform accounts).
SELECT * FROM memory.stg_accounts
