-- 0006 (PostgreSQL): the SQLite rollup tables (migrations/sqlite/0006) are
-- not needed here: PostgreSQL answers the statistics from the 0004 indexes
-- with parallel scans. Only the satisfaction index by closing time is shared.
CREATE INDEX contacts_closed ON contacts(unit_id, closed_at, queue_id, status, queued_at, created_at, id);
