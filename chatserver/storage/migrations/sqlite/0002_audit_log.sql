-- 0002: the tamper-evident audit log (chatserver/audit).
-- Append-only: every event carries the SHA-256 of its canonical form chained to
-- the previous event's hash, and an HMAC of that hash under the audit key.
-- The triggers stop the application (and careless hands) from changing rows;
-- someone who drops them is caught by `chatserver audit verify`.

CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY,     -- 1, 2, 3, ... no gaps
    at              TEXT NOT NULL,           -- UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (sorts as text)
    actor_user_id   INTEGER,                 -- NULL: anonymous (failed sign-in of an unknown name, CLI)
    actor_username  TEXT,
    actor_role      TEXT,
    actor_units     TEXT NOT NULL DEFAULT '',  -- comma-separated unit ids of the actor
    unit_id         TEXT,                    -- the care unit the event concerns (the contact's unit)
    contact_id      TEXT,                    -- the patient's contact, when patient data was touched
    action          TEXT NOT NULL,
    result          TEXT NOT NULL,           -- 'ok' or an error code
    request_id      TEXT NOT NULL,
    detail          TEXT NOT NULL,           -- canonical JSON object, never patient data
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    mac             TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_actor ON audit_events(actor_user_id, at);
CREATE INDEX audit_events_contact ON audit_events(contact_id, at);
CREATE INDEX audit_events_unit ON audit_events(unit_id, at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
