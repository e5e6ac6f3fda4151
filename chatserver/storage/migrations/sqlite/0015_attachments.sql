-- 0015: photo attachments (chatserver/attachments). The re-encoded image and
-- its thumbnail live in the database, so backups, restore, retention and
-- secure_delete cover them like every other piece of patient data. A message
-- row that carries a photo has its metadata as compact JSON text
-- ({"id", "content_type", "bytes", "sha256", "width", "height"}); a staff
-- message asking the patient for a photo has photo_request = 1.
ALTER TABLE messages ADD COLUMN attachment TEXT;
ALTER TABLE messages ADD COLUMN photo_request INTEGER NOT NULL DEFAULT 0;

CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,           -- random, 128 bits, URL-safe
    contact_id    TEXT NOT NULL REFERENCES contacts(id),
    seq           INTEGER NOT NULL,           -- the message that carries it
    sha256        TEXT NOT NULL,              -- of the re-encoded bytes (hex)
    content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes         INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    data          BLOB NOT NULL,
    thumb_type    TEXT NOT NULL CHECK (thumb_type IN ('image/jpeg', 'image/png')),
    thumb         BLOB NOT NULL,
    created_at    REAL NOT NULL,
    UNIQUE (contact_id, seq)
);
