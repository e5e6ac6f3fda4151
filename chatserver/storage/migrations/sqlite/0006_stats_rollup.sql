-- 0006: statistics rollup (chatserver/stats/rollup.py, sqlite_rollup.py;
-- docs/statistics.md "Performance"). The figures of each (unit, local day,
-- queue) are stored once the day is over, so a dashboard over a year of a
-- region reads ~30,000 small rows instead of a million contacts and their events.

-- A (unit, local day) whose cells are current. Triggers below delete the
-- marker whenever anything the figures depend on changes; a day without a
-- marker is computed from the contacts again (never served stale).
CREATE TABLE stats_rollup_days (
    unit_id      TEXT NOT NULL,
    day          TEXT NOT NULL,              -- YYYY-MM-DD in Europe/Stockholm
    computed_at  REAL NOT NULL,
    PRIMARY KEY (unit_id, day)
) WITHOUT ROWID;

-- The figures of the contacts with intake on that day in one queue, packed
-- (layouts: chatserver/stats/rollup.py). No patient data: counts, durations
-- in whole seconds, staff ids and pick/close times.
CREATE TABLE stats_rollup_cells (
    unit_id            TEXT NOT NULL,
    day                TEXT NOT NULL,
    queue_id           TEXT NOT NULL,
    totals             BLOB NOT NULL,        -- int64 per totals_sql.TOTALS entry, in order
    hours_contacts     BLOB NOT NULL,        -- int32: the UTC hour number of every contact
    hours_resolved     BLOB NOT NULL,        -- … of every one resolved in chat
    hours_shifted      BLOB NOT NULL,        -- … of every one shifted from a physical visit
    waiting            BLOB NOT NULL,        -- int32 seconds, one per contact, ascending
    first_reply        BLOB NOT NULL,
    handling           BLOB NOT NULL,
    overrides          TEXT NOT NULL,        -- JSON [[from, to, events]…]
    override_contacts  INTEGER NOT NULL,
    assignments        BLOB NOT NULL,        -- float64 per staff member: user id, n, n starts, n ends (+inf: open)
    PRIMARY KEY (unit_id, day, queue_id)
) WITHOUT ROWID;

-- Invalidation. SQLite has no Europe/Stockholm calendar, but the local day of
-- an instant is its UTC date shifted by +1 h (winter) or +2 h (summer): both
-- candidates are dropped, which is at most one day too many.
CREATE TRIGGER stats_rollup_contact_insert AFTER INSERT ON contacts BEGIN
    DELETE FROM stats_rollup_days WHERE unit_id = NEW.unit_id AND day IN (
        date(NEW.created_at, 'unixepoch', '+1 hours'), date(NEW.created_at, 'unixepoch', '+2 hours'));
END;

CREATE TRIGGER stats_rollup_contact_update AFTER UPDATE OF
    unit_id, queue_id, status, outcome, level, intake_level, would_otherwise, created_at,
    queued_at, first_picked_at, first_staff_reply_at, closed_at, assigned_user_id
ON contacts BEGIN
    DELETE FROM stats_rollup_days WHERE unit_id IN (OLD.unit_id, NEW.unit_id) AND day IN (
        date(OLD.created_at, 'unixepoch', '+1 hours'), date(OLD.created_at, 'unixepoch', '+2 hours'),
        date(NEW.created_at, 'unixepoch', '+1 hours'), date(NEW.created_at, 'unixepoch', '+2 hours'));
END;

CREATE TRIGGER stats_rollup_contact_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM stats_rollup_days WHERE unit_id = OLD.unit_id AND day IN (
        date(OLD.created_at, 'unixepoch', '+1 hours'), date(OLD.created_at, 'unixepoch', '+2 hours'));
END;

-- Events count for staff triage changes and assignments (their contact's day).
CREATE TRIGGER stats_rollup_event_insert AFTER INSERT ON contact_events
WHEN NEW.kind IN ('triage_change', 'pick', 'transfer', 'requeue', 'close') BEGIN
    DELETE FROM stats_rollup_days WHERE (unit_id, day) IN (
        SELECT unit_id, date(created_at, 'unixepoch', '+1 hours') FROM contacts WHERE id = NEW.contact_id
        UNION ALL
        SELECT unit_id, date(created_at, 'unixepoch', '+2 hours') FROM contacts WHERE id = NEW.contact_id);
END;

CREATE TRIGGER stats_rollup_event_update AFTER UPDATE ON contact_events BEGIN
    DELETE FROM stats_rollup_days WHERE (unit_id, day) IN (
        SELECT unit_id, date(created_at, 'unixepoch', '+1 hours') FROM contacts
        WHERE id IN (OLD.contact_id, NEW.contact_id)
        UNION ALL
        SELECT unit_id, date(created_at, 'unixepoch', '+2 hours') FROM contacts
        WHERE id IN (OLD.contact_id, NEW.contact_id));
END;

CREATE TRIGGER stats_rollup_event_delete AFTER DELETE ON contact_events BEGIN
    DELETE FROM stats_rollup_days WHERE (unit_id, day) IN (
        SELECT unit_id, date(created_at, 'unixepoch', '+1 hours') FROM contacts WHERE id = OLD.contact_id
        UNION ALL
        SELECT unit_id, date(created_at, 'unixepoch', '+2 hours') FROM contacts WHERE id = OLD.contact_id);
END;

-- Satisfaction is not rolled up (it follows the closing time and answers
-- arrive later); this index makes its range scan by closing time cheap.
CREATE INDEX contacts_closed ON contacts(unit_id, closed_at, queue_id, status, queued_at, created_at, id);
