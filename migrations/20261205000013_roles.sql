-- R-UM5: the primary admin and SSO admins.
--
-- memberships.role keeps its two values. Widening its CHECK would mean rebuilding the
-- table on SQLite, which four tables reference by foreign key; instead:
-- - the primary admin is the admin the team row names: one column, so exactly one per
--   team by construction;
-- - an SSO admin is a member with sso_admin = 1, so every query that asks
--   "role = 'admin'" (admin counts, the last-admin rule) keeps meaning "runs the team".
ALTER TABLE teams ADD COLUMN primary_admin TEXT;
ALTER TABLE memberships ADD COLUMN sso_admin BIGINT NOT NULL DEFAULT 0 CHECK (sso_admin IN (0, 1));

-- Every existing team's primary admin: its longest-standing active admin (an invited one
-- only when it has no active admin).
UPDATE teams SET primary_admin = (
    SELECT m.account_id FROM memberships m
    WHERE m.team_id = teams.id AND m.role = 'admin'
    ORDER BY CASE WHEN m.status = 'active' THEN 0 ELSE 1 END, m.created_at, m.account_id
    LIMIT 1
);
