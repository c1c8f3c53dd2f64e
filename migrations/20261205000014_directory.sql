-- Directory sync over SCIM 2.0 (R-DIR1). Same portability rules as the first migration.

-- Bearer tokens a team's directory authenticates with. Only a SHA-256 of the token is
-- kept: it is 256 random bits, so a slow hash would add nothing but latency.
CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    -- The account that made it; NULL when made on the command line.
    created_by   TEXT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX scim_tokens_by_team ON scim_tokens (team_id);

-- The directory's users of a team: the SCIM User resources. A row outlives a
-- deactivation (active = 0, no membership) so that re-activation finds it again.
-- The directory's names and address are kept here, not on the account: an account may
-- belong to other teams, whose directory must not be rewritten by this one's.
CREATE TABLE scim_users (
    id            TEXT PRIMARY KEY,
    team_id       TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    user_name     TEXT NOT NULL,
    user_name_key TEXT NOT NULL,
    external_id   TEXT,
    given_name    TEXT,
    family_name   TEXT,
    display_name  TEXT,
    email         TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (team_id, user_name_key),
    UNIQUE (team_id, account_id)
);
CREATE INDEX scim_users_by_external ON scim_users (team_id, external_id);

-- Groups the directory made are synced: read-only in the console, except their products.
ALTER TABLE groups ADD COLUMN synced BIGINT NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN external_id TEXT;
ALTER TABLE groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN updated_at TEXT;

-- The directory's membership of its groups, by SCIM user: kept apart from group_members
-- (which needs a membership) so that a deactivated user's groups come back with them.
CREATE TABLE scim_group_members (
    group_id     TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    scim_user_id TEXT NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, scim_user_id)
);
CREATE INDEX scim_group_members_by_user ON scim_group_members (scim_user_id);

-- 1: a person the directory adds gets an invitation email and is active once they
-- accept; 0 (the default): they are active at once and sign in with single sign-on.
ALTER TABLE teams ADD COLUMN scim_invites BIGINT NOT NULL DEFAULT 0;
