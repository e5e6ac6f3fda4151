-- 0013: staff credentials (chatserver/access/password_policy.py, credentials.py):
-- usernames unique regardless of case, a forced password change, and TOTP
-- self-enrolment.

-- Refuse, naming the problem, when two usernames differ only in case: the
-- unique index below cannot be built, and which account to keep is the
-- operator's decision, not the migration's.
CREATE TEMP TABLE m0013_case_duplicates (n INTEGER NOT NULL);
CREATE TEMP TRIGGER m0013_refuse BEFORE INSERT ON m0013_case_duplicates
WHEN NEW.n > 0
BEGIN
    SELECT RAISE(ABORT, 'migration 0013: some usernames differ only in case; rename or disable one of each pair (SELECT lower(username), count(*) FROM users GROUP BY 1 HAVING count(*) > 1) and start again');
END;
INSERT INTO m0013_case_duplicates
    SELECT count(*) FROM (SELECT 1 FROM users GROUP BY lower(username) HAVING count(*) > 1);
DROP TRIGGER m0013_refuse;
DROP TABLE m0013_case_duplicates;

CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- 1 = the next sign-in may only change the password (a new account from the
-- admin API, or one whose password an admin reset).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
-- A TOTP secret being enrolled (sealed like totp_secret), shown once to the
-- user; it becomes totp_secret when the user confirms a code of it.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
