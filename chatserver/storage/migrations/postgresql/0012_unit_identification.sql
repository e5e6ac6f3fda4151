-- 0012 (PostgreSQL): per-unit patient identification and the e-legitimation
-- used, as migrations/sqlite/0012.

ALTER TABLE units ADD COLUMN identification TEXT
    CHECK (identification IN ('optional', 'required'));

ALTER TABLE patient_sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'eid';

UPDATE contact_identities SET method = 'eid' WHERE method = 'oidc';
