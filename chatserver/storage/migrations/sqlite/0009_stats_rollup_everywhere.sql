-- 0009: nothing to change. The PostgreSQL twin (migrations/postgresql/0009)
-- adds the statistics rollup that SQLite has had since 0006, so both engines
-- answer the statistics with the same algorithm; the version exists so both
-- engines number their schemas alike.
SELECT 1;
