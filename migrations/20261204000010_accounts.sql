-- The person's own account (R-ACC1). Same portability rules as the first migration.

-- Sessions name their account, so a person's sessions can be listed and ended.
ALTER TABLE sessions ADD COLUMN account_id TEXT;
CREATE INDEX sessions_by_account ON sessions (account_id);

-- The account's session generation: a console session is valid only while it carries the
-- same value (NULL: every session is). A new random value is drawn when the password
-- changes or the person signs out everywhere else, which ends every other session, those
-- stored before sessions named their account included. No clocks: instances that
-- disagree on the time cannot let an old session through.
ALTER TABLE accounts ADD COLUMN session_epoch TEXT;

-- Given and family name as the person writes them; empty means "split the full name".
ALTER TABLE account_profiles ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE account_profiles ADD COLUMN family_name TEXT NOT NULL DEFAULT '';

-- Forgotten passwords (R-ACC1): a single-use link valid one hour; only the SHA-256 of its
-- token is stored. Rows stay (used or expired) so requests per address can be counted.
CREATE TABLE password_resets (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    requested_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);
CREATE INDEX password_resets_by_account ON password_resets (account_id, requested_at);
