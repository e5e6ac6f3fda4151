-- 0007: the rollup's assignments are now packed as (user id, start, end)
-- float64 triples (chatserver/stats/rollup.py), merged as one array. Cells
-- stored in the old layout (per staff member: user id, n, starts, ends) are
-- dropped with their day markers; they are computed again from the contacts
-- (the background fill of chatserver/stats/warmup.py, or the first request).
DELETE FROM stats_rollup_cells;
DELETE FROM stats_rollup_days;
