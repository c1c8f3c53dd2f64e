-- Groups (R-GRP1). Same portability rules as the first migration.
--
-- A person may hold a seat by several routes: their own assignment and any number of
-- groups. `assignments` keeps the result, one row per person and product whatever the
-- number of routes, so the licensing check and the seat counts read what they always
-- read; `assignments.own` says whether one route is the person's own assignment, and the
-- group tables hold the others. Each change of a route recomputes the person's rows in the
-- same transaction (domain::groups).

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    -- The name in lower case: "Design" and "design" are one group of a team.
    name_key    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (team_id, name_key)
);

CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    team_id     TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (group_id, account_id),
    FOREIGN KEY (team_id, account_id) REFERENCES memberships(team_id, account_id) ON DELETE CASCADE
);
CREATE INDEX group_members_by_person ON group_members (team_id, account_id);

-- The seat products (subscriptions and trials) a group gives its members.
CREATE TABLE group_seats (
    group_id    TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL REFERENCES products(id),
    PRIMARY KEY (group_id, product_id)
);

-- 1: the person was assigned the product themself (as every row before groups was);
-- 0: the row exists only because a group of theirs gives the product.
ALTER TABLE assignments ADD COLUMN own BIGINT NOT NULL DEFAULT 1;
