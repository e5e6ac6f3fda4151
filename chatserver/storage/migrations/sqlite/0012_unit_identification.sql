-- 0012: per-unit patient identification and the e-legitimation used
-- (chatserver/identity/, docs/identity.md).

-- NULL = follow CHATSERVER_PATIENT_IDENTIFICATION; 'required' refuses an
-- anonymous intake to this unit, 'optional' takes one even when the global
-- setting is 'required'.
ALTER TABLE units ADD COLUMN identification TEXT
    CHECK (identification IN ('optional', 'required'));

-- Which e-legitimation the patient signed in with ('bankid', 'freja', or
-- 'eid' when the ID token does not say; chatserver/identity/method.py),
-- carried from the session to contact_identities.method.
ALTER TABLE patient_sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'eid';

-- Contacts bound before this migration said only 'oidc': the method unknown.
UPDATE contact_identities SET method = 'eid' WHERE method = 'oidc';
