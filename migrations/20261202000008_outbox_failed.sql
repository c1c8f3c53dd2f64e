-- Issue 15: a message that can never be delivered (the mailer refuses the address, or the
-- SMTP server answers a permanent 5xx) is marked failed once instead of being retried for
-- ever. failed_at is set at that moment; the worker never claims such a row again, and the
-- admin sees "could not be delivered" on the person until a later message to the same
-- address is sent. Same portability rules as the first migration.
ALTER TABLE outbox ADD COLUMN failed_at TEXT;

-- The person pages look up the delivery state of a page of addresses at a time.
CREATE INDEX outbox_by_recipient ON outbox (to_addr);
