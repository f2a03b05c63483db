-- Where the grids do not tile their community (the ETL's check, etl/load/topology.py): overlaps
-- between two grids, gaps no grid covers, ground outside the community, each beyond the
-- refresh's tolerance, with the grids involved and the first date seen. Area codes only, no
-- resident's data; warehouse-wide like the rest of this page (the page is for administrators).
SELECT community_code, problem, grid_codes, area_m2, check_date
FROM ops.grid_topology
ORDER BY area_m2 DESC, community_code, grid_codes
