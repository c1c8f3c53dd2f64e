-- What a seat of a product costs in Flex tokens per year (R-ADV2), set by the vendor with
-- `tessera product set --code C --seat-tokens N`. Without one, the licence advice says
-- nothing about whether a seat or Flex is cheaper for that product. Same portability
-- rules as the first migration.
ALTER TABLE products ADD COLUMN seat_tokens BIGINT CHECK (seat_tokens IS NULL OR seat_tokens > 0);
