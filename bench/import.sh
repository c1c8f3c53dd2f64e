#!/usr/bin/env bash
# Benchmark of `tessera import` (R-IMP1) against the database's own bulk loader on the same
# file: `sqlite3 .import` on SQLite, `psql \copy` on PostgreSQL.
#
#   bench/import.sh [ROWS]        (default 100000; run from anywhere)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/import.sh
#
# 1. Builds the release binaries (unless bench/run.sh did: BENCH_BIN).
# 2. Makes a fresh demo database (SQLite file, or a new PostgreSQL database; see
#    bench/lib.sh). The catalogue only exists in the demo data, which `tessera serve` seeds
#    into an empty database, so the script starts `serve` on 127.0.0.1, waits for its
#    "listening" line (printed after seeding has committed) and stops it.
# 3. Generates ROWS people: names, unique emails, products cycling through MODEL3D, `*`,
#    RENDER;MOTION and empty, every 10th a guest. The team is "Harbor Engineering", which
#    holds no MODEL3D/RENDER/MOTION subscription, so these become Flex access (no seat limits).
# 4. Times `tessera import` (first run: all created), the same import again (all unchanged),
#    and the engine's raw loader into a bare table raw_people (no checks): SQLite
#    `sqlite3 FRESH.db ".mode csv" ".import FILE raw_people"`; PostgreSQL
#    `psql -c "CREATE TABLE raw_people (...)" -c "\copy raw_people FROM FILE CSV HEADER"`.
set -euo pipefail

ROWS=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
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

echo "== seeding a demo database ($ENGINE)" >&2
bench_serve --demo-password bench-password-123
bench_stop "$SERVE_PID"
SERVE_PID=

CSV="$WORK/people.csv"
python3 - "$ROWS" "$CSV" <<'PY'
import sys
rows, path = int(sys.argv[1]), sys.argv[2]
products = ["MODEL3D", "*", "RENDER;MOTION", ""]
with open(path, "w", newline="") as f:
    f.write("name,email,products,guest\n")
    for i in range(rows):
        guest = "true" if i % 10 == 0 else "false"
        f.write(f"Person {i},person{i}@bench.example,{products[i % 4]},{guest}\n")
PY
SIZE=$(stat -c %s "$CSV")

now() { date +%s.%N; }
secs() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$2"; }
rate() { python3 -c "import sys; r,s=float(sys.argv[1]),float(sys.argv[2]); print(f'{s:.2f} s, {r/s:,.0f} rows/s')" "$@"; }

echo "== tessera import (first run)" >&2
t0=$(now)
tessera import --team "Harbor Engineering" "$CSV" >"$WORK/report1.json"
t1=$(now)
echo "== tessera import (same file again)" >&2
tessera import --team "Harbor Engineering" "$CSV" >"$WORK/report2.json"
t2=$(now)

if [[ "$ENGINE" == postgres ]]; then
    RAW_TOOL="psql \\copy"
    echo "== psql \\copy" >&2
    t3=$(now)
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB_URL" \
        -c "CREATE TABLE raw_people (name TEXT, email TEXT, products TEXT, guest TEXT)" \
        -c "\\copy raw_people FROM '$CSV' WITH (FORMAT csv, HEADER true)"
    t4=$(now)
    RAW=$(db_query "SELECT COUNT(*) FROM raw_people")
else
    RAW_TOOL="sqlite3 .import"
    echo "== sqlite3 .import" >&2
    t3=$(now)
    sqlite3 "$WORK/raw.db" ".mode csv" ".import $CSV raw_people"
    t4=$(now)
    RAW=$(sqlite3 "$WORK/raw.db" "SELECT COUNT(*) FROM raw_people")
fi

summary() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: (len(v) if k=="errors" else v) for k,v in r.items()})' "$1"; }
FIRST=$(rate "$ROWS" "$(secs "$t0" "$t1")")
AGAIN=$(rate "$ROWS" "$(secs "$t1" "$t2")")
RAWR=$(rate "$RAW" "$(secs "$t3" "$t4")")
echo "engine:               $ENGINE"
echo "file:                 $CSV: $ROWS rows, $SIZE bytes"
echo "machine:              $(nproc) cores, $(uname -sm)"
echo "tessera import:       $FIRST   $(summary "$WORK/report1.json")"
echo "tessera re-import:    $AGAIN   $(summary "$WORK/report2.json")"
printf '%-22s%s   (%s raw rows)\n' "$RAW_TOOL:" "$RAWR" "$RAW"
bench_result "Import: \`tessera import\`, first run" "$FIRST"
bench_result "Import: \`tessera import\`, same file again" "$AGAIN"
bench_result "Import: raw loader (\`sqlite3 .import\` / \`psql \\copy\`), no checks" "$RAWR"
