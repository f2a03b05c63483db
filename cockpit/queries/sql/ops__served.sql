-- What /readyz and /metrics say of the served generation: which run built its data, the instant
-- the data run up to and how old that is (times are China Standard Time, as the ETL writes them),
-- and the rows in and quarantined over every file behind it. Counts and instants only: no value
-- from a row, no area.
SELECT m.run_id, m.as_of,
       epoch(now() AT TIME ZONE 'Asia/Shanghai') - epoch(m.as_of) AS data_age_seconds,
       (SELECT sum(rows_in) FROM ops.load_log) AS rows_in,
       (SELECT sum(rows_quarantined) FROM ops.load_log) AS rows_quarantined,
       (SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'warning' AND table_name = 'meta') > 0 AS has_warnings
FROM ops.meta m
