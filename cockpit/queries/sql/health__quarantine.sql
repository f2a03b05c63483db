-- Quarantine entries per file × column × rule: how many entries and distinct lines, and the first
-- few line numbers to look up in the source file. raw_value is never selected (it may hold a
-- masked personal value; the data-health view shows counts, not residents' data).
SELECT file, column_name, rule,
       count(*)                                                            AS entries,
       count(DISTINCT line)                                                AS lines,
       array_to_string(list_slice(list_sort(list(DISTINCT line)), 1, 5), ', ') AS first_lines
FROM ops.quarantine
GROUP BY file, column_name, rule
ORDER BY file, entries DESC, column_name, rule
