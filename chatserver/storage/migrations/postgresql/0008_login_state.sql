-- 0008 (PostgreSQL): sign-in protection shared by every instance, as
-- migrations/sqlite/0008 (the account lockout and the TOTP steps already used).

CREATE TABLE login_lockouts (
    name_key      TEXT PRIMARY KEY,
    failures      TEXT NOT NULL,
    lockouts      INTEGER NOT NULL,
    locked_until  DOUBLE PRECISION NOT NULL,
    last_failure  DOUBLE PRECISION NOT NULL,
    expires_at    DOUBLE PRECISION NOT NULL
);
CREATE INDEX login_lockouts_expiry ON login_lockouts(expires_at);

CREATE TABLE totp_used_steps (
    user_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    step     BIGINT NOT NULL,
    used_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, step)
);
