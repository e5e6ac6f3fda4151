-- 0013 (PostgreSQL): staff credentials, as migrations/sqlite/0013.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM users GROUP BY lower(username) HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'migration 0013: some usernames differ only in case; rename or disable one of each pair (SELECT lower(username), count(*) FROM users GROUP BY 1 HAVING count(*) > 1) and start again';
    END IF;
END
$$;

CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
