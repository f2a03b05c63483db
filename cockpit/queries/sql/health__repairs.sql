-- Cells repaired on load per repair rule × file × column (only repairs with one possible reading,
-- see etl/load/repairs.py). Values before and after are not selected.
SELECT repair, file, column_name,
       count(*)             AS cells,
       count(DISTINCT line) AS lines
FROM ops.repairs
GROUP BY repair, file, column_name
ORDER BY cells DESC, repair, file, column_name
