-- 0010: sign-in with e-legitimation (OpenID Connect; chatserver/identity/).
-- A staff account's HSA-id (matched against the SITHS sign-in's user claim),
-- the pending sign-ins between the redirect to the issuer and its callback,
-- and the identified patients' sessions.

-- NULL = no SITHS sign-in for this account. Unique: one HSA-id, one account.
ALTER TABLE users ADD COLUMN hsa_id TEXT;
CREATE UNIQUE INDEX users_hsa_id ON users(hsa_id);

-- One row per sign-in started and not yet come back. ``state_hash`` is the
-- SHA-256 of the ``state`` parameter; the callback deletes the row as it reads
-- it, so a state (and the code that came with it) signs in at most once.
CREATE TABLE oidc_pending (
    state_hash     TEXT PRIMARY KEY,
    side           TEXT NOT NULL CHECK (side IN ('patient', 'staff')),
    nonce          TEXT NOT NULL,
    code_verifier  TEXT NOT NULL,             -- PKCE (RFC 7636), sent only to the token endpoint
    return_to      TEXT NOT NULL,             -- a same-origin path, checked before it is stored
    created_at     REAL NOT NULL,
    expires_at     REAL NOT NULL
);
CREATE INDEX oidc_pending_expiry ON oidc_pending(expires_at);

-- Identified patients. ``id_hash`` is the SHA-256 of the cookie value; the
-- value itself is never stored (as staff sessions).
CREATE TABLE patient_sessions (
    id_hash       TEXT PRIMARY KEY,
    personnummer  TEXT NOT NULL,              -- 12 digits, checked (check digit) before it is stored
    name          TEXT NOT NULL,
    created_at    REAL NOT NULL,
    last_seen_at  REAL NOT NULL,
    expires_at    REAL NOT NULL
);
CREATE INDEX patient_sessions_expiry ON patient_sessions(expires_at);
