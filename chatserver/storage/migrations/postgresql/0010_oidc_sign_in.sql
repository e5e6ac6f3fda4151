-- 0010 (PostgreSQL): sign-in with e-legitimation, as migrations/sqlite/0010
-- (users.hsa_id, the pending sign-ins, the identified patients' sessions).

ALTER TABLE users ADD COLUMN hsa_id TEXT;
CREATE UNIQUE INDEX users_hsa_id ON users(hsa_id);

CREATE TABLE oidc_pending (
    state_hash     TEXT PRIMARY KEY,
    side           TEXT NOT NULL CHECK (side IN ('patient', 'staff')),
    nonce          TEXT NOT NULL,
    code_verifier  TEXT NOT NULL,
    return_to      TEXT NOT NULL,
    created_at     DOUBLE PRECISION NOT NULL,
    expires_at     DOUBLE PRECISION NOT NULL
);
CREATE INDEX oidc_pending_expiry ON oidc_pending(expires_at);

CREATE TABLE patient_sessions (
    id_hash       TEXT PRIMARY KEY,
    personnummer  TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    DOUBLE PRECISION NOT NULL,
    last_seen_at  DOUBLE PRECISION NOT NULL,
    expires_at    DOUBLE PRECISION NOT NULL
);
CREATE INDEX patient_sessions_expiry ON patient_sessions(expires_at);
