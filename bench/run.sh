#!/usr/bin/env bash
# Every benchmark, on SQLite and on PostgreSQL, in one command:
#
#   bench/run.sh                 full sizes (about 20-30 minutes on 2 cores, plus the build)
#   BENCH_QUICK=1 bench/run.sh   small sizes and short wrk runs: a smoke test of a few minutes
#
# 1. Builds the release binaries once (tessera and the licensing prep example) and the
#    release wasm bundle (`cargo leptos build --release --frontend-only`, into
#    target/bench-site so a debug site under target/site in use by browser tests is left
#    alone) and measures the bundle, raw and gzip -9.
# 2. For each engine (sqlite, postgres) runs bench/import.sh, render.sh, identity.sh,
#    licensing.sh, usage.sh, directory.sh and advice.sh, each on a fresh database
#    (PostgreSQL: a new database tessera_bench_<random> on BENCH_PG_URL, dropped at exit).
#    PostgreSQL is skipped, with a line saying so, when `pg_isready` does not answer.
# 3. Writes bench/RESULTS.md (one table, a row per measurement, columns SQLite and
#    PostgreSQL) and copies it into README.md between <!-- bench:start --> and
#    <!-- bench:end -->.
#
# Everything listens on 127.0.0.1 only; wrk runs have fixed durations; each script stops its
# server (and oidc-provider) and drops its database on exit, also on failure or Ctrl-C, and
# runs under `timeout` so a stuck one cannot hold up the rest.
#
# Knobs (environment):
#   BENCH_QUICK=0            1: small sizes (see below), wrk 3 s after a 1 s warm-up
#   BENCH_ENGINES="sqlite postgres"
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test   server (and admin database) for
#                            the fresh PostgreSQL databases
#   BENCH_SECONDS, BENCH_WARMUP_SECONDS   wrk durations for identity and licensing (10 and 2;
#                            quick: 3 and 1)
#   BENCH_ONLY="import render identity licensing usage directory advice"   which benchmarks to run
#   BENCH_WASM=1             0: skip the wasm build and size line
#   BENCH_SKIP_BUILD=0       1: measure the release binaries already in target/release
#   BENCH_README=1           0: do not touch README.md
#   BENCH_TIMEOUT=1800       seconds each benchmark script may take
#   BENCH_OUT=<dir>          logs of every script (default: a new /tmp dir, kept)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/tools/node_modules/.bin:$PATH"

QUICK=${BENCH_QUICK:-0}
ENGINES=${BENCH_ENGINES:-sqlite postgres}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
ONLY=${BENCH_ONLY:-import render identity licensing usage directory advice}
TIMEOUT=${BENCH_TIMEOUT:-1800}
OUT=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-run.XXXXXX")}
mkdir -p "$OUT"
if [[ "$QUICK" == 1 ]]; then
    IMPORT_ROWS=2000; RENDER_MEMBERS=500; RENDER_REQUESTS=5; DIRECTORY_USERS=500; DIRECTORY_GROUPS=10
    USAGE_PEOPLE=200; USAGE_DAYS=50; USAGE_REQUESTS=5
    ADVICE_PEOPLE=500; ADVICE_DAYS=20; ADVICE_GROUP=50; ADVICE_REQUESTS=5
    export BENCH_SECONDS=${BENCH_SECONDS:-3} BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-1}
    export BENCH_USERS=${BENCH_USERS:-50} OIDC_ASSERTIONS=${OIDC_ASSERTIONS:-30000}
else
    IMPORT_ROWS=100000; RENDER_MEMBERS=10000; RENDER_REQUESTS=30; DIRECTORY_USERS=10000; DIRECTORY_GROUPS=200
    USAGE_PEOPLE=2000; USAGE_DAYS=500; USAGE_REQUESTS=20
    ADVICE_PEOPLE=10000; ADVICE_DAYS=100; ADVICE_GROUP=1000; ADVICE_REQUESTS=30
    export BENCH_SECONDS=${BENCH_SECONDS:-10} BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
    # oidc-provider's one-time assertions: 8,000 per second of measurement is twice the
    # most it has answered here (identity/run.sh's own default, 20,000/s, takes minutes
    # to sign); running short marks the row INVALID rather than replaying.
    export OIDC_ASSERTIONS=${OIDC_ASSERTIONS:-$(( 8000 * BENCH_SECONDS ))}
fi
# licensing.sh keeps its own defaults for users (200) and connections (16).

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "logs in $OUT; load average at start: $LOAD_START"

# --- build once -------------------------------------------------------------------------
if [[ "${BENCH_SKIP_BUILD:-0}" == 1 ]]; then
    say "BENCH_SKIP_BUILD=1: using the release binaries already in target/release"
else
    say "building release binaries"
    cargo build --release -p tessera --bin tessera --example licensing_bench_prep >&2
fi
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# Copies, so that another build replacing target/release/tessera mid-run cannot change
# what is measured.
mkdir -p "$OUT/bin"
cp "$TARGET/release/tessera" "$TARGET/release/examples/licensing_bench_prep" "$OUT/bin/"
export BENCH_BIN="$OUT/bin/tessera" BENCH_PREP="$OUT/bin/licensing_bench_prep"

WASM_LINE=
if [[ "${BENCH_WASM:-1}" == 1 ]]; then
    say "building the release wasm bundle"
    command -v cargo-leptos >/dev/null || ./scripts/setup.sh >&2
    SITE="$ROOT/target/bench-site"
    LEPTOS_SITE_ROOT="$SITE" cargo leptos build --release --frontend-only >&2
    WASM="$SITE/pkg/tessera.wasm"
    [[ -f "$WASM" ]] || { say "no $WASM after the build"; exit 1; }
    WASM_RAW=$(stat -c %s "$WASM")
    WASM_GZ=$(gzip -9 -c "$WASM" | wc -c)
    WASM_LINE=$(python3 -c "import sys; print(f'{int(sys.argv[1]):,} / {int(sys.argv[2]):,} bytes')" "$WASM_RAW" "$WASM_GZ")
    say "wasm: $WASM_LINE (raw / gzip -9)"
fi

# --- run --------------------------------------------------------------------------------
# CPU used by other processes (our build is over), sampled for 3 s before the benchmarks.
busy_pct() {
    local a b
    a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
    awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
      n = split(a, x, " "); split(b, y, " "); tot = 0
      for (i = 2; i <= n; i++) tot += y[i] - x[i]
      idle = (y[5] - x[5]) + (y[6] - x[6])
      printf "%.0f", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}
BUILD_S=$(( $(date +%s) - START ))
LOAD_BENCH=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_BEFORE=$(busy_pct)
say "build took $BUILD_S s; before the benchmarks: load average $LOAD_BENCH, ${BUSY_BEFORE}% CPU busy"
BENCH_START=$(date +%s)
declare -A NOTE=()
CHILD=
stop_child() {
    if [[ -n "$CHILD" ]]; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
        CHILD=
    fi
}
trap stop_child EXIT
trap 'say "interrupted; stopping the running benchmark"; exit 130' INT TERM
run_one() {
    local engine=$1 name=$2
    shift 2
    local log="$OUT/$engine-$name.log" rc=0
    say "$engine: $name (log: $log)"
    local t0=$SECONDS
    # In the background and waited for, so that Ctrl-C or TERM here reaches the script
    # (timeout puts it in a process group of its own) and its traps clean up.
    BENCH_RESULTS="$OUT/$engine.tsv" BENCH_OUT="$OUT/$engine-$name" \
        timeout --signal=TERM --kill-after=60 "$TIMEOUT" "$@" >"$log" 2>&1 &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=
    if [[ $rc -ne 0 ]]; then
        say "$engine: $name FAILED (exit $rc); last lines of $log:"
        tail -15 "$log" >&2
        printf '%s\t%s\n' "$name: FAILED" "exit $rc, see $engine-$name.log" >>"$OUT/$engine.tsv"
    else
        say "$engine: $name done in $(( SECONDS - t0 )) s"
    fi
}

for engine in $ENGINES; do
    : >"$OUT/$engine.tsv"
    case "$engine" in
        sqlite) export BENCH_DATABASE_URL=sqlite ;;
        postgres)
            if ! pg_isready -q -d "$PG_URL" 2>/dev/null; then
                NOTE[postgres]="skipped: no PostgreSQL answered at $PG_URL (pg_isready)"
                say "postgres: ${NOTE[postgres]}"
                continue
            fi
            export BENCH_DATABASE_URL="$PG_URL"
            ;;
        *) say "unknown engine $engine (sqlite, postgres)"; exit 1 ;;
    esac
    for b in $ONLY; do
        case "$b" in
            import) run_one "$engine" import bench/import.sh "$IMPORT_ROWS" ;;
            render) run_one "$engine" render bench/render.sh "$RENDER_MEMBERS" "$RENDER_REQUESTS" ;;
            identity) run_one "$engine" identity bench/identity.sh ;;
            licensing) run_one "$engine" licensing bench/licensing.sh ;;
            usage) run_one "$engine" usage bench/usage.sh "$USAGE_PEOPLE" "$USAGE_DAYS" "$USAGE_REQUESTS" ;;
            directory) run_one "$engine" directory bench/directory.sh "$DIRECTORY_USERS" "$DIRECTORY_GROUPS" ;;
            advice) run_one "$engine" advice bench/advice.sh "$ADVICE_PEOPLE" "$ADVICE_DAYS" "$ADVICE_GROUP" "$ADVICE_REQUESTS" ;;
            *) say "unknown benchmark $b"; exit 1 ;;
        esac
    done
done

# --- report -----------------------------------------------------------------------------
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
DURATION=$(( $(date +%s) - START ))
BENCH_S=$(( $(date +%s) - BENCH_START ))
# wrk measurements during which other processes (not the server, wrk or PostgreSQL) took
# more than 10% of the CPUs, as identity and licensing report them.
WRK_CPU=$(cat "$OUT"/*-identity.log "$OUT"/*-licensing.log 2>/dev/null \
    | sed -n 's/.*CPU: .*everything else \([0-9]*\)%.*/\1/p' || true)
WRK_TOTAL=$(printf '%s' "$WRK_CPU" | awk 'NF' | wc -l)
WRK_BUSY=$(printf '%s' "$WRK_CPU" | awk '$1 > 10' | wc -l)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]] || COMMIT="$COMMIT + uncommitted changes"
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
RAM=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
[[ "$QUICK" == 1 ]] && MODE="quick run (BENCH_QUICK=1: small sizes, not for comparison)" || MODE="full run"

python3 - "$OUT" "$ENGINES" "${NOTE[postgres]:-}" "$WASM_LINE" >"$ROOT/bench/RESULTS.md" <<PY
import sys, os
out, engines, pg_note, wasm = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
cols = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]
rows, values = [], {}
for key, _ in cols:
    path = os.path.join(out, key + ".tsv")
    values[key] = {}
    if key in engines and os.path.exists(path):
        for line in open(path):
            if "\t" not in line:
                continue
            label, value = line.rstrip("\n").split("\t", 1)
            if label not in rows:
                rows.append(label)
            values[key][label] = value
def cell(key, label):
    if key not in engines:
        return "not run"
    if key == "postgres" and pg_note:
        return "skipped"
    return values[key].get(label, "–")
print("Measured $(date -u +%Y-%m-%d) at commit $COMMIT, $MODE: $(( BENCH_S / 60 )) min $(( BENCH_S % 60 )) s of benchmarks"
      " after $(( BUILD_S / 60 )) min $(( BUILD_S % 60 )) s of building.")
print()
print("- Machine: $(nproc) cores ($CPU), $RAM RAM; each server shares them with its load generator"
      " (and on PostgreSQL with the database server).")
shared = int("$BUSY_BEFORE") > 15 or int("$WRK_BUSY") > 0
print("- Load average $LOAD_START when the command started, $LOAD_BENCH after the build, $LOAD_END at the end;"
      " other processes used ${BUSY_BEFORE}% of the CPUs just before the benchmarks, and more than 10% during"
      " $WRK_BUSY of the $WRK_TOTAL wrk measurements"
      + (": **the machine was shared with other builds and tests, so figures are pessimistic**." if shared else "."))
print("- Sizes: import $IMPORT_ROWS CSV rows; people pages with $RENDER_MEMBERS members, median / p95 of"
      " $RENDER_REQUESTS sequential requests; usage views with $USAGE_PEOPLE people × $USAGE_DAYS days ="
      " $(( USAGE_PEOPLE * USAGE_DAYS )) usage windows, median / p95 of $USAGE_REQUESTS requests (CSV exports: 3);"
      " wrk ${BENCH_SECONDS} s after a ${BENCH_WARMUP_SECONDS} s warm-up (identity: 32 connections, one wrk thread;"
      " licensing: 16 connections, ${BENCH_USERS:-200} people per population).")
print("- PostgreSQL $(psql -X -At -d "$PG_URL" -c 'SHOW server_version' 2>/dev/null | cut -d' ' -f1 || echo '?') on the same machine over TCP on 127.0.0.1"
      " (default settings), a fresh database per script; SQLite in WAL mode with synchronous=NORMAL.")
if pg_note:
    print()
    print("PostgreSQL " + pg_note + ".")
print()
print("| measurement | SQLite | PostgreSQL |")
print("|---|---:|---:|")
if wasm:
    print(f"| Release wasm bundle, raw / gzip -9 (no database) | {wasm} | same bundle |")
for label in rows:
    print(f"| {label} | {cell('sqlite', label)} | {cell('postgres', label)} |")
PY
say "wrote bench/RESULTS.md"
cat "$ROOT/bench/RESULTS.md"

if [[ "${BENCH_README:-1}" == 1 ]]; then
    python3 - "$ROOT/README.md" "$ROOT/bench/RESULTS.md" <<'PY'
import sys
readme, results = sys.argv[1], sys.argv[2]
text, table = open(readme).read(), open(results).read().rstrip("\n")
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
if start not in text or end not in text:
    sys.exit("README.md has no bench:start / bench:end markers; not updated")
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
open(readme, "w").write(f"{head}{start}\n{table}\n{end}{tail}")
print("README.md benchmark block updated", file=sys.stderr)
PY
fi
say "done in $DURATION s; logs in $OUT"
