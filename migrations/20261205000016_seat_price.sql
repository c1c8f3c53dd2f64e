-- What a seat of a product costs in Flex tokens per year (R-ADV2), set by the vendor with
-- `tessera product set --code C --seat-tokens N`. Without one, the licence advice says
-- nothing about whether a seat or Flex is cheaper for that product. Same portability
-- rules as the first migration.
ALTER TABLE products ADD COLUMN seat_tokens BIGINT CHECK (seat_tokens IS NULL OR seat_tokens > 0);

-- The cost preview (R-ADV1) reads a set of people's last 30 days of Flex use; without this,
-- it scans the whole team's use of those days (300,000 rows at 10,000 people) to keep a
-- thousand people's. The columns it sums ride along, so the index alone answers it.
CREATE INDEX usage_user_days_by_person ON usage_user_days (team_id, account_id, license_type, day, product_id, tokens);
