-- Licensing (R-LIC1..5, R-PRI1, R-USE1). Same portability rules as the first migration.

-- Devices a person has run a product on (R-LIC3: at most 3 per person and product).
CREATE TABLE devices (
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id    TEXT NOT NULL REFERENCES products(id),
    device_id     TEXT NOT NULL,
    name          TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, product_id, device_id)
);

-- The one active session per person and product (R-LIC3). A row whose heartbeat is older
-- than 24 hours has lapsed; any device may take it over.
CREATE TABLE license_sessions (
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id   TEXT NOT NULL REFERENCES products(id),
    device_id    TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    PRIMARY KEY (account_id, product_id)
);

-- One row per 24-hour usage window (R-LIC5, R-USE1): who used which product on which
-- device, under which licence, and the tokens the window cost (0 unless Flex). A Flex
-- charge and its window are written in the same transaction as the ledger entries.
CREATE TABLE usage_windows (
    id           TEXT PRIMARY KEY,
    team_id      TEXT REFERENCES teams(id) ON DELETE SET NULL,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    product_id   TEXT NOT NULL REFERENCES products(id),
    device_id    TEXT NOT NULL,
    license_type TEXT NOT NULL CHECK (license_type IN ('subscription', 'trial', 'flex')),
    opened_at    TEXT NOT NULL,
    closes_at    TEXT NOT NULL,
    tokens       BIGINT NOT NULL DEFAULT 0 CHECK (tokens >= 0)
);
CREATE INDEX usage_windows_by_user ON usage_windows (account_id, product_id, license_type, closes_at);
CREATE INDEX usage_windows_by_team ON usage_windows (team_id, opened_at);

-- Seat usage (R-USE1): when an assigned seat was last used.
ALTER TABLE assignments ADD COLUMN last_accessed_at TEXT;

-- Which charge a ledger entry paid for (NULL for purchases, moves and expiry).
ALTER TABLE token_ledger ADD COLUMN window_id TEXT;
CREATE INDEX token_ledger_by_team ON token_ledger (team_id, at);

-- Licensing looks up a person's seats and Flex memberships by account.
CREATE INDEX assignments_by_account ON assignments (account_id, product_id);
CREATE INDEX flex_users_by_account ON flex_users (account_id);
