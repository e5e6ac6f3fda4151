-- 0004: statistics (chatserver/stats, docs/statistics.md).
-- Visit counts of the other channels, imported from the booking or record
-- system (POST /api/stats/visits), and covering indexes so the statistics
-- queries read only index pages, never the contact rows with their text.

CREATE TABLE visit_counts (
    date         TEXT NOT NULL,              -- YYYY-MM-DD, a calendar day in Europe/Stockholm
    unit_id      TEXT NOT NULL REFERENCES units(id),
    channel      TEXT NOT NULL CHECK (channel IN ('physical', 'phone', 'video')),
    count        INTEGER NOT NULL CHECK (count >= 0),
    imported_at  REAL NOT NULL,
    imported_by  INTEGER REFERENCES users(id),  -- NULL when imported from the command line
    PRIMARY KEY (unit_id, date, channel)
) WITHOUT ROWID;

-- Every per-contact figure of a unit and period (channel shift, operations)
-- is one range scan of this index; `id` at the end serves joins to events.
CREATE INDEX contacts_stats ON contacts(
    unit_id, created_at, status, outcome, would_otherwise, queue_id, level, intake_level,
    queued_at, first_picked_at, first_staff_reply_at, closed_at, assigned_user_id, id
);
-- Triage overrides and transferred/requeued contacts (staff concurrency) are
-- found from their events since the period began; covering for that scan.
CREATE INDEX contact_events_stats ON contact_events(kind, at, contact_id, actor_user_id);
-- Each of those events looks up its contact's unit, intake time and queue:
-- index-only, without reading the contact row (which holds the intake text).
CREATE INDEX contacts_scope ON contacts(id, unit_id, created_at, queue_id);
