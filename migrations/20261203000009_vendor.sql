-- Issue 17 (R-VND1): the vendor's back office. A retired product stays in the catalogue
-- (subscriptions, assignments and usage history name it) but leaves Flex: queries that
-- mean "on Flex" read `flex_daily_rate IS NOT NULL AND retired_at IS NULL`.
ALTER TABLE products ADD COLUMN retired_at TEXT;

-- Subscriptions are looked up by team and product when the vendor adds or changes one
-- (no two terms of a product may overlap in a team).
CREATE INDEX team_products_by_product ON team_products (team_id, product_id);

-- Apps whose client-credentials tokens may call the provisioning API (`app create
-- --operator`). A table of its own rather than a column, so no other reader of
-- oauth_clients changes; deleting the app ends its operator rights with it.
CREATE TABLE operator_clients (
    client_id  TEXT PRIMARY KEY REFERENCES oauth_clients(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

-- Idempotency-Key (draft-ietf-httpapi-idempotency-key) for the provisioning API: the key
-- is claimed in the same transaction as the change it guards and holds the answer given,
-- so a retried order is answered again instead of being carried out twice, and a crash
-- loses the change and the claim together. fingerprint: a hash of method, path and body;
-- status 0 never commits (the claim and the answer are written in one transaction).
CREATE TABLE idempotency_keys (
    client_id   TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      BIGINT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (client_id, idem_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
