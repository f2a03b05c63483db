-- Every date the window [$start, $stop) touches, as `day` (cockpit/queries/filters.py Window).
SELECT unnest(generate_series(CAST($start AS DATE),
                              CAST(CAST($stop AS TIMESTAMP) - INTERVAL 1 MICROSECOND AS DATE),
                              INTERVAL 1 DAY))::DATE AS day
