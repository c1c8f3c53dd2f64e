-- Portable SQL: this file runs on SQLite and PostgreSQL alike. Ids are UUID v7 text made
-- in Rust; instants are UTC RFC 3339 text with milliseconds ("2026-11-25T10:08:52.123Z"),
-- fixed width so text order is time order; flags are BIGINT 0/1 (sqlx's Any driver cannot
-- decode SQLite BOOLEAN columns).

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    -- NULL until the person chooses a password (an invitee, or an SSO-only account).
    password_hash TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE teams (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    guest_defaults BIGINT NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);

CREATE TABLE memberships (
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    guest      BIGINT NOT NULL DEFAULT 0 CHECK (guest IN (0, 1)),
    status     TEXT NOT NULL CHECK (status IN ('active', 'invited')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (team_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id);

-- The vendor's catalogue. flex_daily_rate NULL = not available with Flex.
CREATE TABLE products (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('desktop', 'cloud')),
    flex_daily_rate BIGINT CHECK (flex_daily_rate IS NULL OR flex_daily_rate > 0),
    added_at        TEXT NOT NULL
);

-- Subscriptions and trials a team holds, with their seat counts.
CREATE TABLE team_products (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id),
    access     TEXT NOT NULL CHECK (access IN ('subscription', 'trial')),
    seats      BIGINT NOT NULL CHECK (seats > 0),
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL
);
CREATE INDEX team_products_by_team ON team_products (team_id);

-- Flex token purchases (R-TOK1); expires_at = purchased_at + 1 calendar year.
CREATE TABLE token_purchases (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    purchased_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX token_purchases_by_team ON token_purchases (team_id, expires_at);

-- Append-only ledger: every change to a balance is an entry; balances are derived.
CREATE TABLE token_ledger (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    purchase_id TEXT NOT NULL REFERENCES token_purchases(id),
    kind        TEXT NOT NULL CHECK (kind IN ('purchase', 'charge', 'expiry', 'move_out', 'move_in')),
    amount      BIGINT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX token_ledger_by_purchase ON token_ledger (purchase_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Sign-in throttling state, in the database so it holds across instances.
CREATE TABLE sign_in_failures (
    key          TEXT PRIMARY KEY,
    count        BIGINT NOT NULL,
    window_start TEXT NOT NULL
);
