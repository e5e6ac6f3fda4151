-- 0009 (PostgreSQL): the statistics rollup, as on SQLite (migrations/sqlite/0006,
-- 0007). Both engines now answer the statistics with the same algorithm: the
-- figures of each (unit, local day, queue) are stored once the day is over and
-- merged (chatserver/stats/rollup.py, rollup_sql.py; docs/statistics.md).

-- A (unit, local day) whose cells are current; the triggers below delete the
-- mark whenever anything the figures depend on changes.
CREATE TABLE stats_rollup_days (
    unit_id      TEXT NOT NULL,
    day          TEXT NOT NULL,              -- YYYY-MM-DD in Europe/Stockholm
    computed_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (unit_id, day)
);

-- The figures of the contacts with intake on that day in one queue, packed
-- (layouts: chatserver/stats/rollup.py; the same bytes as on SQLite).
CREATE TABLE stats_rollup_cells (
    unit_id            TEXT NOT NULL,
    day                TEXT NOT NULL,
    queue_id           TEXT NOT NULL,
    totals             BYTEA NOT NULL,
    hours_contacts     BYTEA NOT NULL,
    hours_resolved     BYTEA NOT NULL,
    hours_shifted      BYTEA NOT NULL,
    waiting            BYTEA NOT NULL,
    first_reply        BYTEA NOT NULL,
    handling           BYTEA NOT NULL,
    overrides          TEXT NOT NULL,
    override_contacts  INTEGER NOT NULL,
    assignments        BYTEA NOT NULL,
    PRIMARY KEY (unit_id, day, queue_id)
);

-- Drop the marks of the local day of an instant in a unit. As on SQLite, the
-- local day is the UTC date shifted by +1 h (winter) or +2 h (summer): both
-- candidates are dropped, at most one day too many.
--
-- First the lock the fill holds exclusively while it computes and marks a day
-- of the unit (chatserver/stats/rollup_sql.py: LOCK_NAMESPACE = 0x53544154 =
-- 1398030676, hashtext(unit_id)), taken shared and kept until commit: a change
-- either commits before the fill computes, or waits until the fill committed
-- and then drops the fresh mark. Shared holders never block each other.
CREATE FUNCTION stats_rollup_forget(p_unit TEXT, p_at DOUBLE PRECISION) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1398030676, hashtext(p_unit));
    DELETE FROM stats_rollup_days WHERE unit_id = p_unit AND day IN (
        to_char(to_timestamp(p_at + 3600) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
        to_char(to_timestamp(p_at + 7200) AT TIME ZONE 'UTC', 'YYYY-MM-DD'));
END $$;

CREATE FUNCTION stats_rollup_contact_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM stats_rollup_forget(OLD.unit_id, OLD.created_at);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM stats_rollup_forget(NEW.unit_id, NEW.created_at);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER stats_rollup_contact_insert_delete AFTER INSERT OR DELETE ON contacts
FOR EACH ROW EXECUTE FUNCTION stats_rollup_contact_changed();

CREATE TRIGGER stats_rollup_contact_update AFTER UPDATE OF
    unit_id, queue_id, status, outcome, level, intake_level, would_otherwise, created_at,
    queued_at, first_picked_at, first_staff_reply_at, closed_at, assigned_user_id
ON contacts FOR EACH ROW EXECUTE FUNCTION stats_rollup_contact_changed();

-- Events count for staff triage changes and assignments (their contact's day).
CREATE FUNCTION stats_rollup_event_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c RECORD;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        FOR c IN SELECT unit_id, created_at FROM contacts WHERE id = OLD.contact_id LOOP
            PERFORM stats_rollup_forget(c.unit_id, c.created_at);
        END LOOP;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        FOR c IN SELECT unit_id, created_at FROM contacts WHERE id = NEW.contact_id LOOP
            PERFORM stats_rollup_forget(c.unit_id, c.created_at);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER stats_rollup_event_insert AFTER INSERT ON contact_events
FOR EACH ROW WHEN (NEW.kind IN ('triage_change', 'pick', 'transfer', 'requeue', 'close'))
EXECUTE FUNCTION stats_rollup_event_changed();

CREATE TRIGGER stats_rollup_event_update_delete AFTER UPDATE OR DELETE ON contact_events
FOR EACH ROW EXECUTE FUNCTION stats_rollup_event_changed();
