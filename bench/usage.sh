#!/usr/bin/env bash
# Server render time of the usage views for a team with 1,000,000 usage records (issue 7).
#
#   bench/usage.sh [PEOPLE] [DAYS] [REQUESTS]     (defaults 2000, 500 and 20)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/usage.sh
#
# Builds the release binaries (unless bench/run.sh did), starts `tessera serve` on a fresh
# demo database (SQLite, or a new PostgreSQL database: bench/lib.sh) and adds a team
# "Bench Usage" of PEOPLE members, each using one product on each of DAYS days
# (PEOPLE × DAYS usage windows: 1,000,000 by default; four in five Flex, each with its
# ledger charge, the rest subscription seats). The bulk rows are written with sqlite3 or
# psql (the same rows on both engines, timestamps relative to now) and the roll-ups and
# lot balances rebuilt with the same SQL as migration 5's backfill.
# Then it signs in with curl and times REQUESTS sequential full-page requests per view
# over loopback (server-side render: the whole HTML before the first byte), and the CSV
# export. Prints median and p95 in milliseconds as a Markdown table.
set -euo pipefail
PEOPLE=${1:-2000}
DAYS=${2:-500}
REQUESTS=${3:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-usage.XXXXXX")
SERVE_PID=
cleanup() {
    bench_stop "$SERVE_PID"
    bench_db_drop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_build
bench_db_setup "$WORK"
PASSWORD=bench-password-123

bench_serve --demo-password "$PASSWORD"
# Bulk load with the server stopped, then start it again on the same database.
bench_stop "$SERVE_PID"; SERVE_PID=

echo "== writing $((PEOPLE * DAYS)) usage windows ($ENGINE)" >&2
T0=$(date +%s.%N)
if [[ "$ENGINE" == sqlite ]]; then
sqlite3 "$SQLITE_FILE" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO teams (id, name, guest_defaults, created_at)
VALUES ('00000000-0000-4000-8000-0000000000be', 'Bench Usage', 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-600 days'));
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000be', id, 'admin', 0, 'active', created_at FROM accounts WHERE email = 'admin@northwind.example';
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $PEOPLE)
INSERT INTO accounts (id, email, name, password_hash, created_at)
SELECT printf('00000000-0000-4000-9000-%012d', i), printf('person%05d@usage.example', i), printf('Person %05d', i), NULL,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-600 days') FROM n;
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000be', id, 'member', 0, 'active', created_at FROM accounts WHERE email LIKE '%@usage.example';
INSERT INTO token_purchases (id, team_id, amount, purchased_at, expires_at)
VALUES ('00000000-0000-4000-8000-0000000000bf', '00000000-0000-4000-8000-0000000000be', 50000000,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+265 days'));
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
VALUES ('00000000-0000-4000-8000-0000000000c0', '00000000-0000-4000-8000-0000000000be', '00000000-0000-4000-8000-0000000000bf',
        'purchase', 50000000, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'), NULL);
-- Person p on day d (d days ago) uses product p % 5 of the five Flex products; every
-- fifth person holds a subscription seat instead.
CREATE TEMP TABLE bench_products AS
SELECT id, flex_daily_rate AS rate, ROW_NUMBER() OVER (ORDER BY code) - 1 AS k
FROM products WHERE code IN ('DRAFT2D', 'MODEL3D', 'MOTION', 'PLANT', 'SURVEY');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $PEOPLE * $DAYS)
INSERT INTO usage_windows (id, team_id, account_id, product_id, device_id, license_type, opened_at, closes_at, tokens)
SELECT printf('00000000-0000-4000-a000-%012d', i), '00000000-0000-4000-8000-0000000000be',
       printf('00000000-0000-4000-9000-%012d', i % $PEOPLE), p.id, 'bench-device',
       CASE WHEN (i % $PEOPLE) % 5 = 0 THEN 'subscription' ELSE 'flex' END,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d days', i / $PEOPLE), printf('-%d minutes', (i % $PEOPLE) % 600)),
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+d days', 1 - i / $PEOPLE), printf('-%d minutes', (i % $PEOPLE) % 600)),
       CASE WHEN (i % $PEOPLE) % 5 = 0 THEN 0 ELSE p.rate END
FROM n JOIN bench_products p ON p.k = (i % $PEOPLE) % 5;
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
SELECT 'charge-' || id, team_id, '00000000-0000-4000-8000-0000000000bf', 'charge', -tokens, opened_at, id
FROM usage_windows WHERE team_id = '00000000-0000-4000-8000-0000000000be' AND tokens > 0;
DELETE FROM lot_balances;
INSERT INTO lot_balances (purchase_id, team_id, purchased, charged, expired, moved_out, moved_in, remaining)
SELECT purchase_id, team_id,
    SUM(CASE WHEN kind = 'purchase' THEN amount ELSE 0 END), SUM(CASE WHEN kind = 'charge' THEN -amount ELSE 0 END),
    SUM(CASE WHEN kind = 'expiry' THEN -amount ELSE 0 END), SUM(CASE WHEN kind = 'move_out' THEN -amount ELSE 0 END),
    SUM(CASE WHEN kind = 'move_in' THEN amount ELSE 0 END), SUM(amount)
FROM token_ledger GROUP BY purchase_id, team_id;
DELETE FROM usage_product_days;
DELETE FROM usage_user_days;
DELETE FROM usage_user_months;
INSERT INTO usage_product_days (team_id, day, product_id, license_type, windows, tokens)
SELECT team_id, SUBSTR(opened_at, 1, 10), product_id, license_type, COUNT(*), SUM(tokens)
FROM usage_windows WHERE team_id IS NOT NULL GROUP BY team_id, SUBSTR(opened_at, 1, 10), product_id, license_type;
INSERT INTO usage_user_days (team_id, day, account_id, product_id, license_type, windows, tokens)
SELECT team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type, COUNT(*), SUM(tokens)
FROM usage_windows WHERE team_id IS NOT NULL GROUP BY team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type;
INSERT INTO usage_user_months (team_id, month, account_id, product_id, license_type, windows, tokens, last_day)
SELECT team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type, COUNT(*), SUM(tokens), MAX(SUBSTR(opened_at, 1, 10))
FROM usage_windows WHERE team_id IS NOT NULL GROUP BY team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type;
COMMIT;
ANALYZE;
SQL
else
# The same rows as the SQLite branch above, statement for statement: printf('%05d') is
# pad(), strftime(..., 'now', '-N days', '-M minutes') is ts(now() - interval), the
# recursive counter is generate_series. UTC so that a day is always 24 hours.
psql -X -q -v ON_ERROR_STOP=1 -v people="$PEOPLE" -v days="$DAYS" -d "$DB_URL" <<'SQL'
SET TIME ZONE 'UTC';
SET synchronous_commit = off;
BEGIN;
CREATE FUNCTION pg_temp.ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
    AS 'SELECT to_char(t AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'')';
CREATE FUNCTION pg_temp.pad(i bigint, w int) RETURNS text LANGUAGE sql IMMUTABLE
    AS 'SELECT lpad(i::text, greatest(w, length(i::text)), ''0'')';
INSERT INTO teams (id, name, guest_defaults, created_at)
VALUES ('00000000-0000-4000-8000-0000000000be', 'Bench Usage', 0, pg_temp.ts(now() - interval '600 days'));
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000be', id, 'admin', 0, 'active', created_at FROM accounts WHERE email = 'admin@northwind.example';
INSERT INTO accounts (id, email, name, password_hash, created_at)
SELECT '00000000-0000-4000-9000-' || pg_temp.pad(i, 12), 'person' || pg_temp.pad(i, 5) || '@usage.example',
       'Person ' || pg_temp.pad(i, 5), NULL, pg_temp.ts(now() - interval '600 days')
FROM generate_series(0, :people - 1) AS i;
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000be', id, 'member', 0, 'active', created_at FROM accounts WHERE email LIKE '%@usage.example';
INSERT INTO token_purchases (id, team_id, amount, purchased_at, expires_at)
VALUES ('00000000-0000-4000-8000-0000000000bf', '00000000-0000-4000-8000-0000000000be', 50000000,
        pg_temp.ts(now() - interval '100 days'), pg_temp.ts(now() + interval '265 days'));
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
VALUES ('00000000-0000-4000-8000-0000000000c0', '00000000-0000-4000-8000-0000000000be', '00000000-0000-4000-8000-0000000000bf',
        'purchase', 50000000, pg_temp.ts(now() - interval '100 days'), NULL);
CREATE TEMP TABLE bench_products AS
SELECT id, flex_daily_rate AS rate, ROW_NUMBER() OVER (ORDER BY code COLLATE "C") - 1 AS k
FROM products WHERE code IN ('DRAFT2D', 'MODEL3D', 'MOTION', 'PLANT', 'SURVEY');
INSERT INTO usage_windows (id, team_id, account_id, product_id, device_id, license_type, opened_at, closes_at, tokens)
SELECT '00000000-0000-4000-a000-' || pg_temp.pad(i, 12), '00000000-0000-4000-8000-0000000000be',
       '00000000-0000-4000-9000-' || pg_temp.pad(i % :people, 12), p.id, 'bench-device',
       CASE WHEN (i % :people) % 5 = 0 THEN 'subscription' ELSE 'flex' END,
       pg_temp.ts(now() - make_interval(days => i / :people, mins => (i % :people) % 600)),
       pg_temp.ts(now() + make_interval(days => 1 - i / :people) - make_interval(mins => (i % :people) % 600)),
       CASE WHEN (i % :people) % 5 = 0 THEN 0 ELSE p.rate END
FROM generate_series(0, :people * :days - 1) AS i JOIN bench_products p ON p.k = (i % :people) % 5;
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
SELECT 'charge-' || id, team_id, '00000000-0000-4000-8000-0000000000bf', 'charge', -tokens, opened_at, id
FROM usage_windows WHERE team_id = '00000000-0000-4000-8000-0000000000be' AND tokens > 0;
DELETE FROM lot_balances;
INSERT INTO lot_balances (purchase_id, team_id, purchased, charged, expired, moved_out, moved_in, remaining)
SELECT purchase_id, team_id,
    CAST(SUM(CASE WHEN kind = 'purchase' THEN amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'charge' THEN -amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'expiry' THEN -amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'move_out' THEN -amount ELSE 0 END) AS BIGINT),
    CAST(SUM(CASE WHEN kind = 'move_in' THEN amount ELSE 0 END) AS BIGINT),
    CAST(SUM(amount) AS BIGINT)
FROM token_ledger GROUP BY purchase_id, team_id;
DELETE FROM usage_product_days;
DELETE FROM usage_user_days;
DELETE FROM usage_user_months;
INSERT INTO usage_product_days (team_id, day, product_id, license_type, windows, tokens)
SELECT team_id, SUBSTR(opened_at, 1, 10), product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT)
FROM usage_windows WHERE team_id IS NOT NULL GROUP BY team_id, SUBSTR(opened_at, 1, 10), product_id, license_type;
INSERT INTO usage_user_days (team_id, day, account_id, product_id, license_type, windows, tokens)
SELECT team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT)
FROM usage_windows WHERE team_id IS NOT NULL GROUP BY team_id, SUBSTR(opened_at, 1, 10), account_id, product_id, license_type;
INSERT INTO usage_user_months (team_id, month, account_id, product_id, license_type, windows, tokens, last_day)
SELECT team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type, CAST(COUNT(*) AS BIGINT), CAST(SUM(tokens) AS BIGINT), MAX(SUBSTR(opened_at, 1, 10))
FROM usage_windows WHERE team_id IS NOT NULL GROUP BY team_id, SUBSTR(opened_at, 1, 7), account_id, product_id, license_type;
COMMIT;
-- Fresh statistics and visibility map, as SQLite gets its ANALYZE.
VACUUM (ANALYZE);
SQL
fi
T1=$(date +%s.%N)
LOAD_S=$(python3 -c "print(round($T1 - $T0, 1))")
ROWS=$(db_query "SELECT COUNT(*) FROM usage_windows WHERE team_id = '00000000-0000-4000-8000-0000000000be'")
CHARGES=$(db_query "SELECT COUNT(*) FROM token_ledger WHERE kind = 'charge'")
DAYROWS=$(db_query "SELECT COUNT(*) FROM usage_user_days")
MONTHROWS=$(db_query "SELECT COUNT(*) FROM usage_user_months")
echo "   $ROWS windows, $CHARGES ledger charges, $DAYROWS daily and $MONTHROWS monthly roll-up rows in $LOAD_S s" >&2
bench_result "Usage: bulk load ($ROWS windows, $CHARGES charges, roll-ups rebuilt)" "$LOAD_S s"
bench_serve --demo-password "$PASSWORD"
TEAM=00000000-0000-4000-8000-0000000000be

JAR="$WORK/cookies"
curl -s -m 600 -o /dev/null -c "$JAR" -H 'Accept: application/json' \
    --data-urlencode "email=admin@northwind.example" --data-urlencode "password=$PASSWORD" "$URL/api/sign_in"

TODAY=$(date -u +%Y-%m-%d)
YEAR_AGO=$(date -u -d '364 days ago' +%Y-%m-%d)
measure() {
    local label=$1 path=$2 expect=$3
    local times=()
    curl -s -m 600 -o /dev/null -b "$JAR" -H 'Accept: text/html' "$URL$path"   # warm-up
    for _ in $(seq 1 "$REQUESTS"); do
        times+=("$(curl -s -m 600 -o "$WORK/page.out" -b "$JAR" -H 'Accept: text/html' -w '%{time_total}' "$URL$path")")
    done
    grep -q -- "$expect" "$WORK/page.out" || { echo "unexpected page for $path (no \"$expect\")" >&2; head -c 600 "$WORK/page.out" >&2; exit 1; }
    local size
    size=$(wc -c <"$WORK/page.out")
    # BENCH_PAGES=DIR keeps each last response, to compare engines.
    [[ -z "${BENCH_PAGES:-}" ]] || { mkdir -p "$BENCH_PAGES"; cp "$WORK/page.out" "$BENCH_PAGES/$(printf '%s' "$label" | tr -cs 'A-Za-z0-9' '-')"; }
    local stats
    stats=$(printf '%s\n' "${times[@]}" | python3 -c "
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin)
p95 = t[max(0, int(round(0.95 * len(t))) - 1)]
print(f'{statistics.median(t):.1f} {p95:.1f}')")
    echo "| $label | ${stats% *} | ${stats#* } | $(( size / 1024 )) KiB |"
    bench_result "Usage views: $label" "${stats% *} / ${stats#* } ms"
}

echo
echo "Server render ($ENGINE) with $ROWS usage windows ($PEOPLE people × $DAYS days), $REQUESTS requests each, $(nproc) cores:"
echo
echo "| view | median ms | p95 ms | response |"
echo "|---|---:|---:|---:|"
measure "Summary, last 30 days (default)" "/t/$TEAM/usage" "usage-chart"
measure "Summary, last 365 days" "/t/$TEAM/usage?from=$YEAR_AGO&to=$TODAY" "usage-chart"
measure "By product, last 30 days" "/t/$TEAM/usage/products" "Motion Forge"
measure "By product, last 365 days" "/t/$TEAM/usage/products?from=$YEAR_AGO&to=$TODAY" "Motion Forge"
measure "Drill-down Motion Forge, 365 days" "/t/$TEAM/usage/products/MOTION?from=$YEAR_AGO&to=$TODAY" "Person "
measure "By user, last 30 days" "/t/$TEAM/usage/users" "Person "
measure "By user, last 365 days, sorted by name" "/t/$TEAM/usage/users?from=$YEAR_AGO&to=$TODAY&sort=name&dir=asc" "Person 00000"
measure "Seats" "/t/$TEAM/usage/seats" "Usage"
REQUESTS=3 measure "CSV export, last 30 days" "/t/$TEAM/usage/export.csv" "Bench Usage"
REQUESTS=3 measure "CSV export, last 365 days" "/t/$TEAM/usage/export.csv?from=$YEAR_AGO&to=$TODAY" "Bench Usage"
RSS=$(( $(awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status") / 1024 ))
echo
echo "Server RSS after the run: $RSS MiB"
bench_result "Usage: server RSS after the views" "$RSS MiB"
