-- 0002 (PostgreSQL): the tamper-evident audit log, as migrations/sqlite/0002.
-- Same columns and text encodings, so `chatserver migrate-to` copies the
-- chain verbatim and `chatserver audit verify` checks it on either engine.

CREATE TABLE audit_events (
    seq             BIGINT PRIMARY KEY,
    at              TEXT NOT NULL,
    actor_user_id   BIGINT,
    actor_username  TEXT,
    actor_role      TEXT,
    actor_units     TEXT NOT NULL DEFAULT '',
    unit_id         TEXT,
    contact_id      TEXT,
    action          TEXT NOT NULL,
    result          TEXT NOT NULL,
    request_id      TEXT NOT NULL,
    detail          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    mac             TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_actor ON audit_events(actor_user_id, at);
CREATE INDEX audit_events_contact ON audit_events(contact_id, at);
CREATE INDEX audit_events_unit ON audit_events(unit_id, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
