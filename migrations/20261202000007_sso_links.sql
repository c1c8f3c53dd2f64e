-- R-SSO1: an identity at a team's OpenID provider (issuer + subject) signs in only the
-- account it is linked to. A link is made only with the account owner's proof (password,
-- a mailed single-use link, or the mailed invitation), never from the provider's word alone.
CREATE TABLE sso_links (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- The team whose provider it was made through, and how the owner proved it.
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    proof      TEXT NOT NULL CHECK (proof IN ('password', 'email', 'invitation')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
-- One subject per account at an issuer: a provider cannot re-point an account at someone else.
CREATE UNIQUE INDEX sso_links_account_issuer ON sso_links (account_id, issuer);

-- A link waiting for its owner to follow the mailed link. Only the token's SHA-256 is kept;
-- the request is single-use (used_at) and short-lived (expires_at).
CREATE TABLE sso_link_requests (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
