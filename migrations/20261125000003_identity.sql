-- Identity service (R-SSA1, R-SSA2, R-OIDC1, R-SSO1). Secrets and one-time codes are
-- stored as SHA-256 hex; private keys of SSAs are never stored (only the public part).

-- OAuth clients ("apps"). scopes: space-separated; redirect_uris: newline-separated.
CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    team_id       TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX oauth_clients_by_team ON oauth_clients (team_id);

-- Secure Service Accounts, owned by a client.
CREATE TABLE service_accounts (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    disabled_at TEXT
);
CREATE INDEX service_accounts_by_client ON service_accounts (client_id);

-- Public halves of SSA keys (RSA n and e, base64url). deleted_at: the kid is refused.
CREATE TABLE ssa_keys (
    kid          TEXT PRIMARY KEY,
    ssa_id       TEXT NOT NULL REFERENCES service_accounts(id) ON DELETE CASCADE,
    public_n     TEXT NOT NULL,
    public_e     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    deleted_at   TEXT
);
CREATE INDEX ssa_keys_by_ssa ON ssa_keys (ssa_id);

-- Our own signing keys, published as a JWKS: ES256 for access tokens and licence leases
-- (fast to sign), RS256 for id tokens (what every OpenID client accepts). The newest of
-- each algorithm signs; older ones stay published while tokens or leases they signed live.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    private_pem TEXT NOT NULL,
    -- The public JWK (JSON) as published.
    public_jwk  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX signing_keys_by_alg ON signing_keys (alg, created_at);

-- Authorization codes (RFC 6749 4.1, PKCE S256 only): single use, 60 seconds.
CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce          TEXT,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT
);

-- Refresh tokens rotate on use; a family is every token descended from one sign-in, so a
-- replayed (already rotated) token revokes the whole family (RFC 9700 4.14.2).
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Access tokens revoked before their expiry (RFC 7009), kept until they expire anyway.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);

-- Profile data returned by /userinfo (R-OIDC1); one row per account, created on demand.
CREATE TABLE account_profiles (
    account_id     TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    locale         TEXT NOT NULL DEFAULT 'en-US',
    country_code   TEXT NOT NULL DEFAULT '',
    street_address TEXT NOT NULL DEFAULT '',
    locality       TEXT NOT NULL DEFAULT '',
    region         TEXT NOT NULL DEFAULT '',
    postal_code    TEXT NOT NULL DEFAULT '',
    phone_number   TEXT NOT NULL DEFAULT '',
    job_title      TEXT NOT NULL DEFAULT '',
    industry       TEXT NOT NULL DEFAULT '',
    industry_code  TEXT NOT NULL DEFAULT '',
    about_me       TEXT NOT NULL DEFAULT '',
    company        TEXT NOT NULL DEFAULT '',
    opt_in         BIGINT NOT NULL DEFAULT 0,
    updated_at     TEXT NOT NULL
);

ALTER TABLE accounts ADD COLUMN last_login_at TEXT;

-- Single sign-on (R-SSO1): a team's OpenID Connect provider.
CREATE TABLE team_sso (
    team_id       TEXT PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    enabled       BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    updated_at    TEXT NOT NULL
);
