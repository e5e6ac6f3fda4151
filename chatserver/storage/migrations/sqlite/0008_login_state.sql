-- 0008: sign-in protection shared by every process on the database
-- (chatserver/security/lockout.py, chatserver/sessions.py): the account
-- lockout and the TOTP steps already used. Held here rather than in process
-- memory so that several instances, and a restart, see the same state.

-- Failed sign-ins per account name. ``name_key`` is the SHA-256 of the
-- lower-cased name as typed (unknown names are counted too), so a password
-- typed into the name field is never stored in the clear. A row whose
-- ``expires_at`` has passed means nothing any more and is deleted by the next
-- failure (see chatserver/storage/login.py).
CREATE TABLE login_lockouts (
    name_key      TEXT PRIMARY KEY,
    failures      TEXT NOT NULL,              -- JSON array of failure times within the window
    lockouts      INTEGER NOT NULL,           -- lockouts since the last success (the doubling)
    locked_until  REAL NOT NULL,
    last_failure  REAL NOT NULL,
    expires_at    REAL NOT NULL
);
CREATE INDEX login_lockouts_expiry ON login_lockouts(expires_at);

-- TOTP time steps whose code signed in: the primary key makes "use this code"
-- one atomic INSERT that a replay (on any instance) cannot repeat. Steps older
-- than the accepted window are deleted at the user's next sign-in.
CREATE TABLE totp_used_steps (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    step     INTEGER NOT NULL,                -- unix time // 30
    used_at  REAL NOT NULL,
    PRIMARY KEY (user_id, step)
) WITHOUT ROWID;
