-- People and assignments (issue 4): explicit assignments, Flex access, invitations,
-- the email outbox and the audit log. Same portability rules as the first migration.

-- A member's explicit assignment to a product the team holds (a subscription or trial
-- seat). Rows stay while the person is invited: they take effect when they accept.
CREATE TABLE assignments (
    team_id     TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    product_id  TEXT NOT NULL REFERENCES products(id),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT REFERENCES accounts(id),
    PRIMARY KEY (team_id, account_id, product_id),
    FOREIGN KEY (team_id, account_id) REFERENCES memberships(team_id, account_id) ON DELETE CASCADE
);
CREATE INDEX assignments_by_product ON assignments (team_id, product_id);

-- Flex users of a team (R-FX1). all_products = 1: every Flex product, including ones
-- added to the catalogue later; otherwise the rows of flex_user_products.
CREATE TABLE flex_users (
    team_id      TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    all_products BIGINT NOT NULL DEFAULT 0 CHECK (all_products IN (0, 1)),
    assigned_at  TEXT NOT NULL,
    PRIMARY KEY (team_id, account_id),
    FOREIGN KEY (team_id, account_id) REFERENCES memberships(team_id, account_id) ON DELETE CASCADE
);

CREATE TABLE flex_user_products (
    team_id    TEXT NOT NULL,
    account_id TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products(id),
    PRIMARY KEY (team_id, account_id, product_id),
    FOREIGN KEY (team_id, account_id) REFERENCES flex_users(team_id, account_id) ON DELETE CASCADE
);

-- Default assignments (R-FX2): a fixed product set; no rows = defaults off.
CREATE TABLE flex_defaults (
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id),
    PRIMARY KEY (team_id, product_id)
);

-- Invitations (R-INV1). Only the SHA-256 of the token is stored. A resend supersedes
-- the previous row; accepted_at marks single use.
CREATE TABLE invitations (
    id            TEXT PRIMARY KEY,
    team_id       TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    sent_at       TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    accepted_at   TEXT,
    superseded_at TEXT,
    emailed       BIGINT NOT NULL DEFAULT 1 CHECK (emailed IN (0, 1)),
    created_by    TEXT REFERENCES accounts(id),
    FOREIGN KEY (team_id, account_id) REFERENCES memberships(team_id, account_id) ON DELETE CASCADE
);
CREATE INDEX invitations_by_member ON invitations (team_id, account_id, sent_at);

-- Transactional outbox: written in the same transaction as the change that causes the
-- message, delivered by a background worker. claimed_until leases a row to one sender.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    sent_at         TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- Every change an admin makes: who, when, what, before and after (JSON text).
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    actor_id    TEXT REFERENCES accounts(id),
    actor_label TEXT NOT NULL,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_by_team ON audit_log (team_id, at);
