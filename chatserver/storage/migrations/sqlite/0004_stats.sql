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
    queued_at, first_picked_at, first_staff_reply_at, closed_at, id
);
-- Staff concurrency: the picks of a period by actor, then for each pick the
-- next event that ends the assignment (transfer, requeue, close) of its contact.
CREATE INDEX contact_events_picks ON contact_events(kind, at, actor_user_id, contact_id);
CREATE INDEX contact_events_contact_kind ON contact_events(contact_id, kind, at);
