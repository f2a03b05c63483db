-- Typed 物业企业信用评价 (property-service firms and their red/black list) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(firm_id)                              AS firm_id,
    trim(name)                                 AS name,
    trim(credit_code)                          AS credit_code,
    trim(registered_region)                    AS registered_region,
    CAST(trim(compounds) AS INTEGER)           AS compounds,
    CAST(trim(red_heart_projects) AS INTEGER)  AS red_heart_projects,
    CAST(trim(red_heart_compounds) AS INTEGER) AS red_heart_compounds,
    CAST(trim(credit_score) AS DOUBLE)         AS credit_score,
    trim(red_black_list)                       AS red_black_list,
    CAST(trim(rating_date) AS DATE)            AS rating_date
FROM memory.checked_property_firms
