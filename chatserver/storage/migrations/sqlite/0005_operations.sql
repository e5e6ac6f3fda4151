-- 0005: operations: opening hours, disruption banners, legal holds, retention purges.

-- One JSON document per unit (see chatserver/operations/hours.py); no row =
-- the default hours (weekdays 08-17) unless the unit is always open.
CREATE TABLE unit_hours (
    unit_id     TEXT PRIMARY KEY REFERENCES units(id),
    hours       TEXT NOT NULL,
    updated_at  REAL NOT NULL,
    updated_by  INTEGER REFERENCES users(id)
);

-- Disruption banners ("driftinformation"); rows are never deleted (history).
CREATE TABLE banners (
    id          INTEGER PRIMARY KEY,
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    message_sv  TEXT NOT NULL,
    message_en  TEXT NOT NULL,
    created_at  REAL NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    ends_at     REAL,                    -- planned end; NULL = until withdrawn
    ended_at    REAL,                    -- withdrawn or replaced at
    ended_by    INTEGER REFERENCES users(id)
);
CREATE INDEX banners_open ON banners(id) WHERE ended_at IS NULL;

-- Contacts whose free text must outlive the retention period (e.g. a complaint
-- or an IVO investigation). Lifting the hold deletes the row; the audit log keeps history.
CREATE TABLE legal_holds (
    contact_id  TEXT PRIMARY KEY REFERENCES contacts(id),
    reason      TEXT NOT NULL,
    set_at      REAL NOT NULL,
    set_by      INTEGER REFERENCES users(id)
);

-- Contacts whose free text has been purged (so a purge is done once).
CREATE TABLE retention_purges (
    contact_id  TEXT PRIMARY KEY REFERENCES contacts(id),
    purged_at   REAL NOT NULL
);
