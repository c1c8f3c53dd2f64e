-- Usage views (R-USE1) and balances that stay cheap as the ledger grows.
-- Same portability rules as the first migration (SQLite and PostgreSQL).

-- Each purchase's ledger summed per team, kept in step by the one function that writes
-- ledger entries (store::tokens::ledger_entry), in the same transaction. The ledger stays
-- the record; this is its running total, so a charge or a page does not re-add a million
-- entries. Figures are positive except `remaining` (the signed sum).
CREATE TABLE lot_balances (
    purchase_id TEXT NOT NULL REFERENCES token_purchases(id),
    team_id     TEXT NOT NULL REFERENCES teams(id),
    purchased   BIGINT NOT NULL DEFAULT 0,
    charged     BIGINT NOT NULL DEFAULT 0,
    expired     BIGINT NOT NULL DEFAULT 0,
    moved_out   BIGINT NOT NULL DEFAULT 0,
    moved_in    BIGINT NOT NULL DEFAULT 0,
    remaining   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (purchase_id, team_id)
);
INSERT INTO lot_balances (purchase_id, team_id, purchased, charged, expired, moved_out, moved_in, remaining)
SELECT purchase_id, team_id,
    CAST(SUM(CASE WHEN kind = 'purchase' THEN amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'charge' THEN -amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'expiry' THEN -amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'move_out' THEN -amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'move_in' THEN amount ELSE 0 END) AS BIGINT),
    CAST(SUM(amount) AS BIGINT)
FROM token_ledger GROUP BY purchase_id, team_id;

-- The token events list reads purchases, expiries and moves without walking the charges.
CREATE INDEX token_ledger_by_kind ON token_ledger (team_id, kind, at);

-- Daily and monthly roll-ups of usage_windows, written with each window (store::usage).
-- A window counts on the UTC day it opened. `windows` is the number of 24-hour windows
-- (the "days used"), `tokens` what they cost. Views read these, never usage_windows:
-- a range is its whole months from usage_user_months plus the days at either end from
-- usage_user_days, so a year costs ~12 rows per person and product, not ~365.
CREATE TABLE usage_product_days (
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    license_type TEXT NOT NULL,
    windows      BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    PRIMARY KEY (team_id, day, product_id, license_type)
);
CREATE TABLE usage_user_days (
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    license_type TEXT NOT NULL,
    windows      BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    PRIMARY KEY (team_id, day, account_id, product_id, license_type)
);
CREATE TABLE usage_user_months (
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    month        TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    license_type TEXT NOT NULL,
    windows      BIGINT NOT NULL,
    tokens       BIGINT NOT NULL,
    last_day     TEXT NOT NULL,
    PRIMARY KEY (team_id, month, account_id, product_id, license_type)
);

INSERT INTO usage_product_days (team_id, day, product_id, license_type, windows, tokens)
SELECT team_id, SUBSTR(opened_at, 1, 10), product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT)
FROM usage_windows WHERE team_id IS NOT NULL
GROUP BY team_id, SUBSTR(opened_at, 1, 10), product_id, license_type;
INSERT INTO usage_user_days (team_id, day, account_id, product_id, license_type, windows, tokens)
SELECT team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT)
FROM usage_windows WHERE team_id IS NOT NULL
GROUP BY team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type;
INSERT INTO usage_user_months (team_id, month, account_id, product_id, license_type, windows, tokens, last_day)
SELECT team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT), MAX(SUBSTR(opened_at, 1, 10))
FROM usage_windows WHERE team_id IS NOT NULL
GROUP BY team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type;

-- Values an installation makes once and keeps (the key behind pseudonymous user ids in
-- usage exports, so the same person gets the same id in every export).
CREATE TABLE installation_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE INDEX lot_balances_by_team ON lot_balances (team_id);
