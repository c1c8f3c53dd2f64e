-- Flex access through groups (R-GRP1 with R-FX1). Same portability rules as the first
-- migration.
--
-- As for seats, flex_users and flex_user_products keep the *result*: what the person may
-- run by every route, the rows the licensing check and the people pages read. The
-- person's own access and selection move beside it, and each change of a route
-- recomputes the result (domain::groups::combined_flex).

-- 1: the person was given Flex access themself (every row before groups was);
-- 0: the row exists only because a group of theirs gives Flex.
ALTER TABLE flex_users ADD COLUMN own BIGINT NOT NULL DEFAULT 1;
-- Their own selection: all products, or the rows of flex_own_products.
ALTER TABLE flex_users ADD COLUMN own_all BIGINT NOT NULL DEFAULT 0;
UPDATE flex_users SET own_all = all_products;

CREATE TABLE flex_own_products (
    team_id     TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    product_id  TEXT NOT NULL REFERENCES products(id),
    PRIMARY KEY (team_id, account_id, product_id),
    FOREIGN KEY (team_id, account_id) REFERENCES flex_users(team_id, account_id) ON DELETE CASCADE
);
INSERT INTO flex_own_products (team_id, account_id, product_id)
    SELECT team_id, account_id, product_id FROM flex_user_products;

-- A group that gives Flex access: all products, or the rows of group_flex_products.
CREATE TABLE group_flex (
    group_id     TEXT PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    all_products BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE group_flex_products (
    group_id    TEXT NOT NULL REFERENCES group_flex(group_id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL REFERENCES products(id),
    PRIMARY KEY (group_id, product_id)
);
