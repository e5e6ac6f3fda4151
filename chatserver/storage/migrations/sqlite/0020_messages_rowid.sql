-- 0020: messages becomes an ordinary rowid table (it was WITHOUT ROWID), with
-- its two unique keys as indexes. A WITHOUT ROWID table keeps whole rows in
-- its b-tree, interior pages included, and SQLite advises it only for rows
-- under about 1/20 of a page (https://sqlite.org/withoutrowid.html): message
-- bodies are often longer. A rowid table appends rows in commit order and
-- keeps only the short keys in the per-conversation b-trees. Measured on a
-- group commit of 100 messages to 100 conversations (loadtests/findings.md):
-- 34.1 KB written per message of 500 characters (WAL and checkpoint) before,
-- 17.7 KB after; 22.6 and 17.1 KB for 40 characters. Same columns, same order,
-- same constraints: the (contact, seq) order and the resend key stay unique.
CREATE TABLE messages_rowid (
    contact_id     TEXT NOT NULL REFERENCES contacts(id),
    seq            INTEGER NOT NULL,
    sender         TEXT NOT NULL CHECK (sender IN ('patient', 'staff', 'system')),
    sender_key     TEXT NOT NULL,   -- 'p:<contact_id>' or 's:<user_id>': resend scope
    sender_name    TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    body           TEXT NOT NULL,
    sent_at        REAL NOT NULL,
    attachment     TEXT,
    photo_request  INTEGER NOT NULL DEFAULT 0
);

-- Oldest first, so the rows of one conversation keep their order on disk.
INSERT INTO messages_rowid (contact_id, seq, sender, sender_key, sender_name, client_id,
                            body, sent_at, attachment, photo_request)
SELECT contact_id, seq, sender, sender_key, sender_name, client_id,
       body, sent_at, attachment, photo_request
FROM messages ORDER BY sent_at, contact_id, seq;

DROP TABLE messages;
ALTER TABLE messages_rowid RENAME TO messages;

-- A conversation in order (history, transcripts, exports).
CREATE UNIQUE INDEX messages_contact_seq ON messages (contact_id, seq);
-- Idempotency is scoped to the contact: sender_key 'sys' is shared by all
-- contacts, so (sender_key, client_id) alone would let a system message of one
-- contact be returned as the "original" of another contact's message.
CREATE UNIQUE INDEX messages_resend ON messages (contact_id, sender_key, client_id);
