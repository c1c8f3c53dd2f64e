-- Per-subject request windows shared by every instance on this database, so a limit such
-- as 500 /userinfo calls a minute (R-OIDC1) holds however many servers answer.
CREATE TABLE rate_windows (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    count        BIGINT NOT NULL
);
