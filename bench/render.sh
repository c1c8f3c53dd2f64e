#!/usr/bin/env bash
# Server render time of the people pages for a team of 10,000 members (issue 4).
#
#   bench/render.sh [MEMBERS] [REQUESTS]     (defaults 10000 and 30)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/render.sh
#
# Builds the release binaries (unless bench/run.sh did), starts `tessera serve` on a fresh
# demo database (SQLite, or a new PostgreSQL database: bench/lib.sh), imports MEMBERS
# people into "Harbor Engineering" as Flex users (so the Flex product page lists all of
# them), signs in with curl and times REQUESTS sequential full-page requests per view over
# loopback (server-side render, SsrMode::Async: the whole HTML is produced before the first
# byte). Prints median and p95 in milliseconds as a Markdown table.
set -euo pipefail
MEMBERS=${1:-10000}
REQUESTS=${2:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-render.XXXXXX")
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

python3 - "$MEMBERS" "$WORK/people.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("name,email,products,guest\n")
    for i in range(n):
        f.write(f"Member {i:05d},member{i}@render.example,*,{'true' if i % 10 == 0 else 'false'}\n")
PY
echo "== importing $MEMBERS members" >&2
tessera import --team "Harbor Engineering" "$WORK/people.csv" >/dev/null
TEAM=$(db_query "SELECT id FROM teams WHERE name = 'Harbor Engineering'")

JAR="$WORK/cookies"
curl -s -m 600 -o /dev/null -c "$JAR" -H 'Accept: application/json' \
    --data-urlencode "email=admin@northwind.example" --data-urlencode "password=$PASSWORD" "$URL/api/sign_in"

measure() {
    local label=$1 path=$2
    local times=()
    curl -s -m 600 -o /dev/null -b "$JAR" -H 'Accept: text/html' "$URL$path"   # warm-up
    for _ in $(seq 1 "$REQUESTS"); do
        times+=("$(curl -s -m 600 -o "$WORK/page.html" -b "$JAR" -H 'Accept: text/html' -w '%{time_total}' "$URL$path")")
    done
    grep -q "Member 0" "$WORK/page.html" || grep -q "of $MEMBERS" "$WORK/page.html" || grep -q "Flex" "$WORK/page.html" \
        || { echo "unexpected page for $path" >&2; exit 1; }
    local stats
    stats=$(printf '%s\n' "${times[@]}" | python3 -c "
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin)
p95 = t[max(0, int(round(0.95 * len(t))) - 1)]
print(f'{statistics.median(t):.1f} {p95:.1f}')")
    echo "| $label | ${stats% *} | ${stats#* } |"
    bench_result "People pages: $label" "${stats% *} / ${stats#* } ms"
}

echo
echo "Server render ($ENGINE), $MEMBERS members, $REQUESTS requests each, $(nproc) cores:"
echo
echo "| view | median ms | p95 ms |"
echo "|---|---|---|"
measure "Users by product (list)" "/t/$TEAM/products"
measure "Users by product: Flex (all assigned, page 1)" "/t/$TEAM/products/FLEX"
measure "Users by product: Flex, last page" "/t/$TEAM/products/FLEX?page=$(( (MEMBERS + 49) / 50 ))"
measure "Users by user (page 1, by name)" "/t/$TEAM/users"
measure "Users by user, search \"member 09\"" "/t/$TEAM/users?q=member%2009"
measure "Users by user, sorted by joined, descending" "/t/$TEAM/users?sort=joined&desc=true"
