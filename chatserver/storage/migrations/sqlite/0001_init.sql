-- 0001: units, queues, staff, sessions, contacts, messages, contact events.
-- Times are UTC seconds since the epoch (REAL); JSON columns hold compact JSON text.

CREATE TABLE units (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    always_open  INTEGER NOT NULL DEFAULT 0,
    rollout      TEXT NOT NULL DEFAULT 'live' CHECK (rollout IN ('live', 'pilot')),
    created_at   REAL NOT NULL
);

CREATE TABLE queues (
    id          TEXT PRIMARY KEY,            -- '<unit_id>:<competence>'
    unit_id     TEXT NOT NULL REFERENCES units(id),
    competence  TEXT NOT NULL,               -- nurse, doctor, psychologist, ...
    name        TEXT NOT NULL,
    max_waiting INTEGER,                     -- NULL = no capacity limit
    UNIQUE (unit_id, competence)
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('nurse', 'doctor', 'manager', 'admin')),
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT,                     -- NULL = no second factor enrolled
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     REAL NOT NULL
);

CREATE TABLE user_units (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    unit_id  TEXT NOT NULL REFERENCES units(id),
    PRIMARY KEY (user_id, unit_id)
);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,          -- sha256 of the cookie value; the value itself is never stored
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    created_at    REAL NOT NULL,
    last_seen_at  REAL NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE contacts (
    id                      TEXT PRIMARY KEY,
    unit_id                 TEXT NOT NULL REFERENCES units(id),
    queue_id                TEXT NOT NULL REFERENCES queues(id),
    status                  TEXT NOT NULL CHECK (status IN ('emergency_advised', 'queued', 'assigned', 'closed')),
    level                   TEXT NOT NULL,   -- current triage level (may be raised by later messages or staff)
    intake_level            TEXT NOT NULL,   -- level assessed at intake, never changed
    tags                    TEXT NOT NULL,   -- JSON array
    reasons                 TEXT NOT NULL,   -- JSON array of {rule_id, level, matched}
    red_flag                INTEGER NOT NULL DEFAULT 0,
    emergency_acknowledged  INTEGER NOT NULL DEFAULT 0,
    lang                    TEXT NOT NULL,
    age                     INTEGER NOT NULL,
    name                    TEXT NOT NULL,
    text                    TEXT NOT NULL,
    would_otherwise         TEXT NOT NULL,
    patient_token_hash      TEXT UNIQUE,     -- sha256 of the token; NULL until queued
    created_at              REAL NOT NULL,   -- intake time
    queued_at               REAL,            -- first time it entered a queue
    priority_tier           INTEGER NOT NULL DEFAULT 1,  -- 0 = acknowledged emergency / returned to front
    priority_key            REAL,            -- waiting-room order within a tier (see core/waiting_room.py)
    assigned_user_id        INTEGER REFERENCES users(id),
    assigned_name           TEXT,
    assigned_at             REAL,
    first_picked_at         REAL,
    first_staff_reply_at    REAL,
    closed_at               REAL,
    outcome                 TEXT,
    closed_by_user_id       INTEGER REFERENCES users(id),
    last_seq                INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contacts_waiting ON contacts(queue_id, priority_tier, priority_key, created_at, id) WHERE status = 'queued';
CREATE INDEX contacts_assigned ON contacts(assigned_user_id) WHERE status = 'assigned';
CREATE INDEX contacts_unit_created ON contacts(unit_id, created_at);

CREATE TABLE messages (
    contact_id   TEXT NOT NULL REFERENCES contacts(id),
    seq          INTEGER NOT NULL,
    sender       TEXT NOT NULL CHECK (sender IN ('patient', 'staff', 'system')),
    sender_key   TEXT NOT NULL,              -- 'p:<contact_id>' or 's:<user_id>': idempotency scope
    sender_name  TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    body         TEXT NOT NULL,
    sent_at      REAL NOT NULL,
    PRIMARY KEY (contact_id, seq),
    -- Idempotency is scoped to the contact: sender_key 'sys' is shared by all
    -- contacts, so (sender_key, client_id) alone would let a system message of
    -- one contact be returned as the "original" of another contact's message.
    UNIQUE (contact_id, sender_key, client_id)
) WITHOUT ROWID;

-- Lifecycle facts that statistics and the journal note need: pick, transfer,
-- triage override, internal note, escalation. `data` is JSON.
CREATE TABLE contact_events (
    id             INTEGER PRIMARY KEY,
    contact_id     TEXT NOT NULL REFERENCES contacts(id),
    at             REAL NOT NULL,
    kind           TEXT NOT NULL,
    actor_user_id  INTEGER REFERENCES users(id),
    data           TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX contact_events_contact ON contact_events(contact_id, id);
CREATE INDEX contact_events_kind_at ON contact_events(kind, at);
