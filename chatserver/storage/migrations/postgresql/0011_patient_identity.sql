-- 0011 (PostgreSQL): identified patients, as migrations/sqlite/0011.

CREATE TABLE contact_identities (
    contact_id    TEXT PRIMARY KEY REFERENCES contacts(id),
    personnummer  TEXT NOT NULL CHECK (personnummer ~ '^[0-9]{12}$'),
    name          TEXT NOT NULL,
    method        TEXT NOT NULL,
    verified_at   DOUBLE PRECISION NOT NULL
);
CREATE INDEX contact_identities_person ON contact_identities(personnummer);
