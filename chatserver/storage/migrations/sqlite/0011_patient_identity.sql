-- 0011: identified patients (e-legitimation, chatserver/identity/store.py).
-- A contact made with a patient session is bound to the person who signed in;
-- a contact without a row here is anonymous. The personnummer is patient data:
-- the row is deleted when retention purges the contact's free text.

CREATE TABLE contact_identities (
    contact_id    TEXT PRIMARY KEY REFERENCES contacts(id),   -- one person per contact
    personnummer  TEXT NOT NULL                               -- 12 digits, YYYYMMDDNNNN
                  CHECK (personnummer GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    name          TEXT NOT NULL,                              -- as the identity provider gave it
    method        TEXT NOT NULL,                              -- how: 'bankid', 'freja', ...
    verified_at   REAL NOT NULL                               -- when the sign-in was verified
);
-- The person's contacts (GET /api/patient/contacts, /api/patient/access-log).
CREATE INDEX contact_identities_person ON contact_identities(personnummer);
