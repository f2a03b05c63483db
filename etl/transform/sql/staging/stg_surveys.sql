-- Typed 满意度调查 (satisfaction surveys) from rows that passed the contract's checks; personal columns arrive masked.
SELECT
    trim(survey_id)                       AS survey_id,
    trim(community_code)                  AS community_code,
    CAST(trim(survey_date) AS DATE)       AS survey_date,
    trim(topic)                           AS topic,
    trim(method)                          AS method,
    CAST(trim(respondents) AS INTEGER)    AS respondents,
    CAST(trim(satisfied_share) AS DOUBLE) AS satisfied_share
FROM memory.checked_surveys
