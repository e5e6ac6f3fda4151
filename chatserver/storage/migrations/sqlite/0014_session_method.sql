-- 0014: how a staff session was signed in: 'password' (password and, where
-- enrolled, TOTP) or 'siths' (OpenID Connect, chatserver/identity). A SITHS
-- session is strong authentication by itself: it is never held back for a
-- password change or a TOTP enrolment (access/credentials.py).
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password'
    CHECK (method IN ('password', 'siths'));
