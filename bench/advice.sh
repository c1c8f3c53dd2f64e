#!/usr/bin/env bash
# Benchmark of the Flex cost preview (R-ADV1): "the preview answers in under 50 ms for a
# change touching 1,000 people of a team of 10,000 with 1,000,000 usage windows".
#
#   bench/advice.sh [PEOPLE] [DAYS] [GROUP] [REQUESTS]   (defaults 10000, 100, 1000 and 30)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/advice.sh
#
# 1. Builds the release binaries (unless bench/run.sh did: BENCH_BIN) and starts
#    `tessera serve` on a fresh demo database (SQLite, or a new PostgreSQL database:
#    bench/lib.sh), then stops it for the bulk load.
# 2. Adds, with sqlite3 or psql (the same rows on both engines, timestamps relative to
#    now), a team "Bench Advice" of PEOPLE active members, every one a Flex user with an
#    explicit list of one or two of the demo's Flex products (own, not all products);
#    PEOPLE × DAYS usage windows over the last DAYS days (one a person a day, of a product
#    on their list; nine in ten people on Flex with tokens and their ledger charges, the
#    tenth on a subscription); a token purchase; the demo admin as the team's (primary)
#    admin; and a group "Bench Advice group" of GROUP members (no Flex through it yet).
#    The roll-ups and lot balances are rebuilt with the same SQL as bench/usage.sh.
# 3. Signs in as the demo admin with curl and times REQUESTS sequential POSTs of the
#    server function preview_flex_cost (/api/preview_flex_cost, JSON) per change:
#    - the group gives Flex with all products (touches its GROUP members: the rule's case);
#    - the team's defaults become one product (touches every Flex user: PEOPLE);
#    - the assign dialog gives Flex to GROUP picked members (other than the group's).
#    Each answer must be 200 with a "summary"; the group case must count GROUP people.
# 4. Prints median and p95 in milliseconds as a Markdown table, and the row counts checked
#    in the database.
set -euo pipefail
PEOPLE=${1:-10000}
DAYS=${2:-100}
GROUP=${3:-1000}
REQUESTS=${4:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
(( GROUP >= 1 && 2 * GROUP <= PEOPLE )) || { echo "GROUP ($GROUP) must be 1 to PEOPLE/2 ($PEOPLE/2)" >&2; exit 1; }
# The group is every STEP-th person from 0, the assign pick every STEP-th from STEP/2
# (from 1 when STEP is 1): spread over the team, and no one in both.
STEP=$(( PEOPLE / GROUP ))
OFFSET=$(( STEP / 2 > 0 ? STEP / 2 : 1 ))
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-advice.XXXXXX")
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
TEAM=00000000-0000-4000-8000-0000000000ad
PURCHASE=00000000-0000-4000-8000-0000000000ae
GROUP_ID=00000000-0000-4000-8000-0000000000b0

echo "== starting tessera on a demo database ($ENGINE)" >&2
bench_serve --demo-password "$PASSWORD"
# Bulk load with the server stopped, then start it again on the same database.
bench_stop "$SERVE_PID"; SERVE_PID=

echo "== writing $PEOPLE Flex users, $((PEOPLE * DAYS)) usage windows and a group of $GROUP ($ENGINE)" >&2
T0=$(date +%s.%N)
if [[ "$ENGINE" == sqlite ]]; then
sqlite3 "$SQLITE_FILE" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO teams (id, name, guest_defaults, created_at)
VALUES ('$TEAM', 'Bench Advice', 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-600 days'));
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT '$TEAM', id, 'admin', 0, 'active', created_at FROM accounts WHERE email = 'admin@northwind.example';
UPDATE teams SET primary_admin = (SELECT id FROM accounts WHERE email = 'admin@northwind.example') WHERE id = '$TEAM';
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $PEOPLE)
INSERT INTO accounts (id, email, name, password_hash, created_at)
SELECT printf('00000000-0000-4000-9000-%012d', i), printf('person%05d@advice.example', i), printf('Person %05d', i), NULL,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-600 days') FROM n;
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT '$TEAM', id, 'member', 0, 'active', created_at FROM accounts WHERE email LIKE '%@advice.example';
-- Person p lists product p % 5 of five Flex products and, when p is even, (p + 1) % 5 too;
-- on day d they use the first, or (p even) the first and the second on alternate days.
CREATE TEMP TABLE bench_products AS
SELECT id, flex_daily_rate AS rate, ROW_NUMBER() OVER (ORDER BY code) - 1 AS k
FROM products WHERE code IN ('DRAFT2D', 'MODEL3D', 'MOTION', 'PLANT', 'SURVEY');
CREATE TEMP TABLE bench_lists AS
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $PEOPLE)
SELECT printf('00000000-0000-4000-9000-%012d', i) AS account_id, i % 5 AS k FROM n
UNION ALL
SELECT printf('00000000-0000-4000-9000-%012d', i), (i + 1) % 5 FROM n WHERE i % 2 = 0;
INSERT INTO flex_users (team_id, account_id, all_products, assigned_at, own, own_all)
SELECT '$TEAM', id, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-300 days'), 1, 0 FROM accounts WHERE email LIKE '%@advice.example';
INSERT INTO flex_user_products (team_id, account_id, product_id)
SELECT '$TEAM', l.account_id, p.id FROM bench_lists l JOIN bench_products p ON p.k = l.k;
INSERT INTO flex_own_products (team_id, account_id, product_id)
SELECT '$TEAM', l.account_id, p.id FROM bench_lists l JOIN bench_products p ON p.k = l.k;
INSERT INTO groups (id, team_id, name, name_key, created_at, updated_at)
VALUES ('$GROUP_ID', '$TEAM', 'Bench Advice group', 'bench advice group',
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 days'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 days'));
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $GROUP)
INSERT INTO group_members (group_id, team_id, account_id, added_at)
SELECT '$GROUP_ID', '$TEAM', printf('00000000-0000-4000-9000-%012d', i * $STEP), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 days') FROM n;
INSERT INTO token_purchases (id, team_id, amount, purchased_at, expires_at)
VALUES ('$PURCHASE', '$TEAM', 30000000,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+265 days'));
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
VALUES ('00000000-0000-4000-8000-0000000000af', '$TEAM', '$PURCHASE',
        'purchase', 30000000, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-100 days'), NULL);
-- Window i: person p = i % PEOPLE on day d = i / PEOPLE (d days ago).
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $PEOPLE * $DAYS)
INSERT INTO usage_windows (id, team_id, account_id, product_id, device_id, license_type, opened_at, closes_at, tokens)
SELECT printf('00000000-0000-4000-a000-%012d', i), '$TEAM',
       printf('00000000-0000-4000-9000-%012d', i % $PEOPLE), p.id, 'bench-device',
       CASE WHEN (i % $PEOPLE) % 10 = 9 THEN 'subscription' ELSE 'flex' END,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d days', i / $PEOPLE), printf('-%d minutes', (i % $PEOPLE) % 600)),
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+d days', 1 - i / $PEOPLE), printf('-%d minutes', (i % $PEOPLE) % 600)),
       CASE WHEN (i % $PEOPLE) % 10 = 9 THEN 0 ELSE p.rate END
FROM n JOIN bench_products p
  ON p.k = ((i % $PEOPLE) + CASE WHEN (i % $PEOPLE) % 2 = 0 THEN (i / $PEOPLE) % 2 ELSE 0 END) % 5;
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
SELECT 'charge-' || id, team_id, '$PURCHASE', 'charge', -tokens, opened_at, id
FROM usage_windows WHERE team_id = '$TEAM' AND tokens > 0;
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
psql -X -q -v ON_ERROR_STOP=1 -v people="$PEOPLE" -v days="$DAYS" -v grp="$GROUP" -v step="$STEP" \
    -v team="$TEAM" -v purchase="$PURCHASE" -v group_id="$GROUP_ID" -d "$DB_URL" <<'SQL'
SET TIME ZONE 'UTC';
SET synchronous_commit = off;
BEGIN;
CREATE FUNCTION pg_temp.ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
    AS 'SELECT to_char(t AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'')';
CREATE FUNCTION pg_temp.pad(i bigint, w int) RETURNS text LANGUAGE sql IMMUTABLE
    AS 'SELECT lpad(i::text, greatest(w, length(i::text)), ''0'')';
INSERT INTO teams (id, name, guest_defaults, created_at)
VALUES (:'team', 'Bench Advice', 0, pg_temp.ts(now() - interval '600 days'));
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT :'team', id, 'admin', 0, 'active', created_at FROM accounts WHERE email = 'admin@northwind.example';
UPDATE teams SET primary_admin = (SELECT id FROM accounts WHERE email = 'admin@northwind.example') WHERE id = :'team';
INSERT INTO accounts (id, email, name, password_hash, created_at)
SELECT '00000000-0000-4000-9000-' || pg_temp.pad(i, 12), 'person' || pg_temp.pad(i, 5) || '@advice.example',
       'Person ' || pg_temp.pad(i, 5), NULL, pg_temp.ts(now() - interval '600 days')
FROM generate_series(0, :people - 1) AS i;
INSERT INTO memberships (team_id, account_id, role, guest, status, created_at)
SELECT :'team', id, 'member', 0, 'active', created_at FROM accounts WHERE email LIKE '%@advice.example';
CREATE TEMP TABLE bench_products AS
SELECT id, flex_daily_rate AS rate, ROW_NUMBER() OVER (ORDER BY code COLLATE "C") - 1 AS k
FROM products WHERE code IN ('DRAFT2D', 'MODEL3D', 'MOTION', 'PLANT', 'SURVEY');
CREATE TEMP TABLE bench_lists AS
SELECT '00000000-0000-4000-9000-' || pg_temp.pad(i, 12) AS account_id, i % 5 AS k FROM generate_series(0, :people - 1) AS i
UNION ALL
SELECT '00000000-0000-4000-9000-' || pg_temp.pad(i, 12), (i + 1) % 5 FROM generate_series(0, :people - 1) AS i WHERE i % 2 = 0;
INSERT INTO flex_users (team_id, account_id, all_products, assigned_at, own, own_all)
SELECT :'team', id, 0, pg_temp.ts(now() - interval '300 days'), 1, 0 FROM accounts WHERE email LIKE '%@advice.example';
INSERT INTO flex_user_products (team_id, account_id, product_id)
SELECT :'team', l.account_id, p.id FROM bench_lists l JOIN bench_products p ON p.k = l.k;
INSERT INTO flex_own_products (team_id, account_id, product_id)
SELECT :'team', l.account_id, p.id FROM bench_lists l JOIN bench_products p ON p.k = l.k;
INSERT INTO groups (id, team_id, name, name_key, created_at, updated_at)
VALUES (:'group_id', :'team', 'Bench Advice group', 'bench advice group',
        pg_temp.ts(now() - interval '200 days'), pg_temp.ts(now() - interval '200 days'));
INSERT INTO group_members (group_id, team_id, account_id, added_at)
SELECT :'group_id', :'team', '00000000-0000-4000-9000-' || pg_temp.pad(i * :step, 12), pg_temp.ts(now() - interval '200 days')
FROM generate_series(0, :grp - 1) AS i;
INSERT INTO token_purchases (id, team_id, amount, purchased_at, expires_at)
VALUES (:'purchase', :'team', 30000000, pg_temp.ts(now() - interval '100 days'), pg_temp.ts(now() + interval '265 days'));
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
VALUES ('00000000-0000-4000-8000-0000000000af', :'team', :'purchase',
        'purchase', 30000000, pg_temp.ts(now() - interval '100 days'), NULL);
INSERT INTO usage_windows (id, team_id, account_id, product_id, device_id, license_type, opened_at, closes_at, tokens)
SELECT '00000000-0000-4000-a000-' || pg_temp.pad(i, 12), :'team',
       '00000000-0000-4000-9000-' || pg_temp.pad(i % :people, 12), p.id, 'bench-device',
       CASE WHEN (i % :people) % 10 = 9 THEN 'subscription' ELSE 'flex' END,
       pg_temp.ts(now() - make_interval(days => i / :people, mins => (i % :people) % 600)),
       pg_temp.ts(now() + make_interval(days => 1 - i / :people) - make_interval(mins => (i % :people) % 600)),
       CASE WHEN (i % :people) % 10 = 9 THEN 0 ELSE p.rate END
FROM generate_series(0, :people * :days - 1) AS i JOIN bench_products p
  ON p.k = ((i % :people) + CASE WHEN (i % :people) % 2 = 0 THEN (i / :people) % 2 ELSE 0 END) % 5;
INSERT INTO token_ledger (id, team_id, purchase_id, kind, amount, at, window_id)
SELECT 'charge-' || id, team_id, :'purchase', 'charge', -tokens, opened_at, id
FROM usage_windows WHERE team_id = :'team' AND tokens > 0;
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

# --- what is in the database --------------------------------------------------------------
MEMBERS=$(db_query "SELECT COUNT(*) FROM memberships WHERE team_id = '$TEAM' AND status = 'active' AND role = 'member'")
ADMINS=$(db_query "SELECT COUNT(*) FROM memberships m JOIN accounts a ON a.id = m.account_id JOIN teams t ON t.id = m.team_id WHERE m.team_id = '$TEAM' AND m.role = 'admin' AND a.email = 'admin@northwind.example' AND t.primary_admin = a.id")
FLEX=$(db_query "SELECT COUNT(*) FROM flex_users WHERE team_id = '$TEAM' AND own = 1 AND own_all = 0 AND all_products = 0")
LISTED=$(db_query "SELECT COUNT(*) FROM flex_user_products WHERE team_id = '$TEAM'")
OWN_LISTED=$(db_query "SELECT COUNT(*) FROM flex_own_products WHERE team_id = '$TEAM'")
WINDOWS=$(db_query "SELECT COUNT(*) FROM usage_windows WHERE team_id = '$TEAM'")
FLEX_WINDOWS=$(db_query "SELECT COUNT(*) FROM usage_windows WHERE team_id = '$TEAM' AND license_type = 'flex' AND tokens > 0")
DAYROWS=$(db_query "SELECT COUNT(*) FROM usage_user_days WHERE team_id = '$TEAM'")
IN_GROUP=$(db_query "SELECT COUNT(*) FROM group_members gm JOIN memberships m ON m.team_id = gm.team_id AND m.account_id = gm.account_id WHERE gm.group_id = '$GROUP_ID' AND m.status = 'active'")
REMAINING=$(db_query "SELECT remaining FROM lot_balances WHERE purchase_id = '$PURCHASE'")
echo "   in $LOAD_S s: $MEMBERS members (+ the demo admin: $ADMINS), $FLEX Flex users listing $LISTED products ($OWN_LISTED own)," >&2
echo "   $WINDOWS usage windows ($FLEX_WINDOWS on Flex), $DAYROWS daily roll-up rows, group of $IN_GROUP, $REMAINING tokens left" >&2
LISTED_WANT=$(( PEOPLE + (PEOPLE + 1) / 2 ))
[[ "$MEMBERS" == "$PEOPLE" && "$ADMINS" == 1 && "$FLEX" == "$PEOPLE" && "$LISTED" == "$LISTED_WANT" \
   && "$OWN_LISTED" == "$LISTED_WANT" && "$WINDOWS" == "$(( PEOPLE * DAYS ))" && "$IN_GROUP" == "$GROUP" ]] \
    || { echo "the bulk load did not give the expected rows" >&2; exit 1; }
bench_result "Flex cost preview: bulk load ($PEOPLE Flex users, $WINDOWS windows, roll-ups rebuilt)" "$LOAD_S s"

bench_serve --demo-password "$PASSWORD"
JAR="$WORK/cookies"
STATUS=$(curl -s -m 600 -o "$WORK/sign-in.out" -w '%{http_code}' -c "$JAR" -H 'Accept: application/json' \
    --data-urlencode "email=admin@northwind.example" --data-urlencode "password=$PASSWORD" "$URL/api/sign_in")
[[ "$STATUS" -lt 400 ]] || { echo "sign-in: $STATUS $(head -c 300 "$WORK/sign-in.out")" >&2; exit 1; }

# The request bodies (a JSON object of the server function's arguments).
FLEX_CODE=DRAFT2D
python3 - "$WORK" "$TEAM" "$GROUP_ID" "$FLEX_CODE" "$GROUP" "$STEP" "$OFFSET" <<'PY'
import json, os, sys
work, team, group, code = sys.argv[1:5]
n, step, offset = map(int, sys.argv[5:8])
def write(name, change):
    with open(os.path.join(work, name + ".json"), "w") as f:
        json.dump({"team": team, "change": change}, f)
write("group", {"kind": "group", "group": group, "gives": True, "all": True, "codes": []})
write("defaults", {"kind": "defaults", "codes": [code]})
picked = ["00000000-0000-4000-9000-%012d" % (i * step + offset) for i in range(n)]
# FLEX: the code under which the assign dialog offers Flex (store::assignments::FLEX_CODE).
write("assign", {"kind": "assign", "code": "FLEX", "member_ids": picked, "new_people": ""})
PY

# measure LABEL BODY [PEOPLE]: REQUESTS timed POSTs after one warm-up; PEOPLE, when given,
# is how many people the answer must count.
measure() {
    local label=$1 body=$2 want=${3:-}
    local times=() out
    for i in $(seq 0 "$REQUESTS"); do
        out=$(curl -s -m 600 -o "$WORK/answer.out" -b "$JAR" -H 'Accept: application/json' \
            -H 'Content-Type: application/json' --data-binary "@$WORK/$body.json" \
            -w '%{http_code} %{time_total}' "$URL/api/preview_flex_cost")
        if [[ "${out% *}" != 200 ]] || ! grep -q '"summary"' "$WORK/answer.out"; then
            echo "preview_flex_cost ($label): HTTP ${out% *}" >&2
            head -c 600 "$WORK/answer.out" >&2; echo >&2
            exit 1
        fi
        [[ $i == 0 ]] || times+=("${out#* }")   # the first is the warm-up
    done
    local people summary
    read -r people summary < <(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
print(a["people"], a["summary"])' "$WORK/answer.out")
    if [[ -n "$want" && "$people" != "$want" ]]; then
        echo "preview_flex_cost ($label): counts $people people, expected $want" >&2
        head -c 600 "$WORK/answer.out" >&2; echo >&2
        exit 1
    fi
    SUMMARIES+=("- $label: $people people. $summary")
    local stats
    stats=$(printf '%s\n' "${times[@]}" | python3 -c "
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin)
p95 = t[max(0, int(round(0.95 * len(t))) - 1)]
print(f'{statistics.median(t):.1f} {p95:.1f}')")
    echo "| $label | $people | ${stats% *} | ${stats#* } |"
    bench_result "Flex cost preview: $label" "${stats% *} / ${stats#* } ms"
}

SUMMARIES=()
echo
echo "preview_flex_cost ($ENGINE), team of $PEOPLE Flex users with $WINDOWS usage windows ($PEOPLE people × $DAYS days), $REQUESTS sequential requests each, $(nproc) cores:"
echo
echo "| change | people it changes | median ms | p95 ms |"
echo "|---|---:|---:|---:|"
measure "group of $GROUP gets Flex, all products" group "$GROUP"
measure "defaults become $FLEX_CODE (all $PEOPLE Flex users)" defaults
measure "assign Flex to $GROUP picked members" assign
echo
echo "Answers (last request of each):"
printf '%s\n' "${SUMMARIES[@]}"
echo
echo "Checked in the database: $MEMBERS active members + the demo admin as (primary) admin, $FLEX Flex users"
echo "with explicit lists ($LISTED product rows), $WINDOWS usage windows ($FLEX_WINDOWS on Flex, $DAYROWS daily"
echo "roll-up rows), a group of $IN_GROUP members; bulk load $LOAD_S s."
RSS=$(( $(awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status") / 1024 ))
echo "Server RSS after the run: $RSS MiB"
