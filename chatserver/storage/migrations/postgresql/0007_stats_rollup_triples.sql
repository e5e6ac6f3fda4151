-- 0007 (PostgreSQL): nothing to change. The SQLite twin re-lays out the
-- statistics rollup (migrations/sqlite/0007), which PostgreSQL does not have
-- (see 0006); the version exists so both engines number their schemas alike.
SELECT 1;
