-- Typed 满意度调查 (satisfaction surveys) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    survey_id,
    community_code,
    CAST(survey_date AS DATE)       AS survey_date,
    topic,
    method,
    CAST(respondents AS INTEGER)    AS respondents,
    CAST(satisfied_share AS DOUBLE) AS satisfied_share
FROM memory.checked_surveys
