-- 物业企业信用评价 (property-service firms and their red/black list).
SELECT * FROM memory.stg_property_firms
