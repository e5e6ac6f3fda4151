-- 0004 (PostgreSQL): statistics, as migrations/sqlite/0004.

CREATE TABLE visit_counts (
    date         TEXT NOT NULL,
    unit_id      TEXT NOT NULL REFERENCES units(id),
    channel      TEXT NOT NULL CHECK (channel IN ('physical', 'phone', 'video')),
    count        INTEGER NOT NULL CHECK (count >= 0),
    imported_at  DOUBLE PRECISION NOT NULL,
    imported_by  BIGINT REFERENCES users(id),
    PRIMARY KEY (unit_id, date, channel)
);

CREATE INDEX contacts_stats ON contacts(
    unit_id, created_at, status, outcome, would_otherwise, queue_id, level, intake_level,
    queued_at, first_picked_at, first_staff_reply_at, closed_at, assigned_user_id, id
);
CREATE INDEX contact_events_stats ON contact_events(kind, at, contact_id, actor_user_id);
-- Each of those events looks up its contact's unit, intake time and queue:
-- index-only, without reading the contact row (which holds the intake text).
CREATE INDEX contacts_scope ON contacts(id, unit_id, created_at, queue_id);
