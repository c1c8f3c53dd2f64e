#!/usr/bin/env bash
# Benchmark of `tessera import` (R-IMP1) against a plain `sqlite3 .import` of the same file.
#
#   bench/import.sh [ROWS]        (default 100000; run from anywhere)
#
# 1. Builds the release binary.
# 2. Makes a fresh demo database. The catalogue (products) only exists in the demo data, and
#    the demo data is only seeded by `tessera serve` on an empty database, so the script
#    starts `serve --addr 127.0.0.1:0` in the background, waits for its "listening" line
#    (printed after seeding has committed) and stops it. No test code or extra command needed.
# 3. Generates ROWS people: names, unique emails, products cycling through MODEL3D, `*`,
#    RENDER;MOTION and empty, every 10th a guest. The team is "Harbor Engineering", which
#    holds no MODEL3D/RENDER/MOTION subscription, so these become Flex access (no seat limits).
# 4. Times `tessera import` (first run: all created), the same import again (all unchanged),
#    and `sqlite3 FRESH.db ".mode csv" ".import FILE raw_people"` (raw rows, no checks).
set -euo pipefail

ROWS=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
SERVE_PID=
cleanup() {
    if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building release binary" >&2
cargo build --release -p tessera >&2
BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/tessera

echo "== seeding a demo database in $WORK/data" >&2
"$BIN" --data-dir "$WORK/data" serve --addr 127.0.0.1:0 --demo-password bench-password-123 \
    >"$WORK/serve.log" 2>"$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 300); do
    grep -q "listening" "$WORK/serve.log" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
    sleep 0.1
done
grep -q "listening" "$WORK/serve.log" || { echo "serve did not start" >&2; exit 1; }
kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=

CSV="$WORK/people.csv"
python3 - "$ROWS" "$CSV" <<'EOF'
import sys
rows, path = int(sys.argv[1]), sys.argv[2]
products = ["MODEL3D", "*", "RENDER;MOTION", ""]
with open(path, "w", newline="") as f:
    f.write("name,email,products,guest\n")
    for i in range(rows):
        guest = "true" if i % 10 == 0 else "false"
        f.write(f"Person {i},person{i}@bench.example,{products[i % 4]},{guest}\n")
EOF
SIZE=$(stat -c %s "$CSV")

now() { date +%s.%N; }
rate() { python3 -c "import sys; r,s=float(sys.argv[1]),float(sys.argv[2]); print(f'{s:.2f} s, {r/s:,.0f} rows/s')" "$@"; }

echo "== tessera import (first run)" >&2
t0=$(now)
"$BIN" --data-dir "$WORK/data" import --team "Harbor Engineering" "$CSV" >"$WORK/report1.json"
t1=$(now)
echo "== tessera import (same file again)" >&2
"$BIN" --data-dir "$WORK/data" import --team "Harbor Engineering" "$CSV" >"$WORK/report2.json"
t2=$(now)

echo "== sqlite3 .import" >&2
t3=$(now)
sqlite3 "$WORK/raw.db" ".mode csv" ".import $CSV raw_people"
t4=$(now)
RAW=$(sqlite3 "$WORK/raw.db" "SELECT COUNT(*) FROM raw_people")

summary() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({k: (len(v) if k=="errors" else v) for k,v in r.items()})' "$1"; }
echo "file:                 $CSV: $ROWS rows, $SIZE bytes"
echo "machine:              $(nproc) cores, $(uname -sm)"
echo "tessera import:       $(rate "$ROWS" "$(python3 -c "print($t1-$t0)")")   $(summary "$WORK/report1.json")"
echo "tessera re-import:    $(rate "$ROWS" "$(python3 -c "print($t2-$t1)")")   $(summary "$WORK/report2.json")"
echo "sqlite3 .import:      $(rate "$RAW" "$(python3 -c "print($t4-$t3)")")   ($RAW raw rows)"
