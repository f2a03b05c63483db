-- Typed 物业企业信用评价 (property-service firms and their red/black list) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    firm_id,
    name,
    credit_code,
    registered_region,
    CAST(compounds AS INTEGER)           AS compounds,
    CAST(red_heart_projects AS INTEGER)  AS red_heart_projects,
    CAST(red_heart_compounds AS INTEGER) AS red_heart_compounds,
    CAST(credit_score AS DOUBLE)         AS credit_score,
    red_black_list,
    CAST(rating_date AS DATE)            AS rating_date
FROM memory.checked_property_firms
