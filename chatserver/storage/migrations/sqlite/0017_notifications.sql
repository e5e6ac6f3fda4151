-- 0017: notifications while away (chatserver/notify, docs/protocol.md
-- "Notifications while away").
--
-- A browser's Web Push subscription, bound to a patient's contact or to a
-- staff member's session (exactly one of the two). The endpoint is a
-- capability URL of the push service: never logged. A patient's go at close
-- (chatserver/notify/service.py, after the `closed` notice), a staff
-- member's with the session (sign-out, expiry: ON DELETE CASCADE).
CREATE TABLE push_subscriptions (
    endpoint      TEXT PRIMARY KEY,
    p256dh        TEXT NOT NULL,
    auth          TEXT NOT NULL,
    contact_id    TEXT REFERENCES contacts(id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users(id) ON DELETE CASCADE,
    session_hash  TEXT REFERENCES sessions(id_hash) ON DELETE CASCADE,
    created_at    REAL NOT NULL,
    CHECK ((contact_id IS NULL) <> (session_hash IS NULL)),
    CHECK ((user_id IS NULL) = (session_hash IS NULL))
);
CREATE INDEX push_subscriptions_contact ON push_subscriptions(contact_id);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);

-- The mobile number a patient gave at intake for the "your turn" SMS (E.164).
-- Kept only while the contact is open: deleted in the same transaction as the
-- close (storage/contacts.py `close`).
CREATE TABLE contact_phones (
    contact_id  TEXT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL,
    created_at  REAL NOT NULL
);
