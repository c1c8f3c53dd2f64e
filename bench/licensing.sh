#!/usr/bin/env bash
# Licensing benchmark: POST /licensing/v1/authorize with wrk on loopback, for two
# populations (see bench/licensing/README.md):
#   subscription  people with a MODEL3D subscription seat, each on their own device
#   flex          Flex users inside an open 24-hour window (nothing is charged)
#
#   bench/licensing.sh
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/licensing.sh
#
# Builds the release binary and examples/licensing_bench_prep.rs (unless bench/run.sh did),
# starts `tessera serve` on a fresh demo database (SQLite, or a new PostgreSQL database:
# bench/lib.sh; RUST_LOG=warn), adds the people, entitlements and access tokens
# (signed with the server's own key) with the prep program; then, per population, authorizes
# every person once (this opens the Flex windows), warms up and measures. Prints a Markdown
# table (also BENCH_OUT/results.md); exits non-zero if any request failed or if the Flex
# team's ledger changed after the first authorizations.
# Stops what it started and deletes the database and the tokens.
#
# Knobs (environment):
#   BENCH_SECONDS=10          duration of each measurement
#   BENCH_CONNECTIONS=16      wrk connections (enough to keep the server busy on 2 CPUs; more
#                             only adds queueing: mean latency = connections / throughput)
#   BENCH_THREADS=2           wrk threads
#   BENCH_WARMUP_SECONDS=2    unrecorded wrk run before each measurement (0: none)
#   BENCH_USERS=200           people in each population
#   BENCH_SUB_PRODUCT=MODEL3D product of the subscription population
#   BENCH_FLEX_PRODUCT=DRAFT2D product of the Flex population
#   BENCH_POPULATIONS="subscription flex"  which to measure, in this order
#   BENCH_OUT=<dir>           where logs and results.md go (default: a new /tmp dir, kept)
#   BENCH_SERVER_CPUS=        e.g. "1": run the server under `taskset -c`
#   BENCH_WRK_CPUS=           e.g. "0": run wrk under `taskset -c`
#   BENCH_PERF=0              1: also sample the server with `perf record` during each
#                             measurement (costs some CPU; a profile summary goes to BENCH_OUT)
#   BENCH_WAIT_IDLE=0         before each measurement wait up to this many seconds for the
#                             machine to be quiet (under 10% busy); on a shared machine
#   BENCH_MAX_FAIL_PERMILLE=0 allowed failures (non-2xx + socket errors) per 1000 responses
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
HERE="$ROOT/bench/licensing"
source "$ROOT/bench/lib.sh"

SECS="${BENCH_SECONDS:-10}"
CONNS="${BENCH_CONNECTIONS:-16}"
THREADS="${BENCH_THREADS:-2}"
WARM="${BENCH_WARMUP_SECONDS:-2}"
USERS="${BENCH_USERS:-200}"
SUB_PRODUCT="${BENCH_SUB_PRODUCT:-MODEL3D}"
FLEX_PRODUCT="${BENCH_FLEX_PRODUCT:-DRAFT2D}"
POPULATIONS="${BENCH_POPULATIONS:-subscription flex}"
MAX_FAIL_PERMILLE="${BENCH_MAX_FAIL_PERMILLE:-0}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-licensing.XXXXXX")}"
mkdir -p "$OUT"
export BENCH_THREADS="$THREADS"

say() { printf 'licensing.sh: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

for tool in wrk ss /usr/bin/time python3; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y wrk time iproute2 python3)"
done
for v in SECS CONNS THREADS WARM USERS; do
    case "${!v}" in ''|*[!0-9]*) die "$v must be a whole number";; esac
done
[ "$SECS" -gt 0 ] || die "BENCH_SECONDS must be > 0"
[ "${BENCH_PERF:-0}" != 1 ] || command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (apt-get install -y linux-perf)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-lic.XXXXXX")   # database and tokens
SERVE_PID=
PERF_PID=
cleanup() {
    if [[ -n "$PERF_PID" ]]; then kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true; fi
    if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
    bench_db_drop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -E
trap 'say "ERROR: command failed at line $LINENO: $BASH_COMMAND"' ERR

SERVER_CMD=()
[ -n "${BENCH_SERVER_CPUS:-}" ] && SERVER_CMD=(taskset -c "$BENCH_SERVER_CPUS")
WRK=(wrk)
[ -n "${BENCH_WRK_CPUS:-}" ] && WRK=(taskset -c "$BENCH_WRK_CPUS" wrk)

# --- build ----------------------------------------------------------------------------
bench_build
[ -n "$PREP" ] && [ -x "$PREP" ] || die "licensing_bench_prep not built (BENCH_PREP)"

# --- the machine ----------------------------------------------------------------------
cpu_busy_pct() {
    local a b
    a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
    awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
      n = split(a, x, " "); split(b, y, " "); tot = 0
      for (i = 2; i <= n; i++) tot += y[i] - x[i]
      idle = (y[5] - x[5]) + (y[6] - x[6])
      printf "%.0f", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}
wait_for_quiet() {
    local max="${BENCH_WAIT_IDLE:-0}" waited=0 b
    [ "$max" -gt 0 ] || return 0
    while :; do
        b="$(cpu_busy_pct)"
        if [ "$b" -lt 10 ]; then b="$(cpu_busy_pct)"; [ "$b" -lt 10 ] && return 0; fi
        [ "$waited" -ge "$max" ] && { say "still ${b}% busy after ${waited}s; measuring anyway"; return 0; }
        [ "$waited" -eq 0 ] && say "machine ${b}% busy; waiting up to ${max}s for it to be quiet"
        sleep 4; waited=$(( waited + 5 ))
    done
}
BUSY="$(cpu_busy_pct)"
say "$(nproc) CPUs, ${BUSY}% busy before the run (server and wrk share them); output in $OUT"
[ "$BUSY" -gt 15 ] && say "WARNING: the machine is busy (${BUSY}% CPU); figures will be depressed"

# --- server ---------------------------------------------------------------------------
bench_db_setup "$WORK"
say "starting tessera on a fresh demo database ($ENGINE)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
DB="$DB_URL"
RUST_LOG=warn "${SERVER_CMD[@]}" "$BIN" --data-dir "$WORK/data" --database-url "$DB" serve --addr "127.0.0.1:$PORT" \
    >"$WORK/serve.log" 2>"$OUT/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 600); do
    grep -q "listening" "$WORK/serve.log" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$OUT/serve.err" >&2; die "tessera exited"; }
    sleep 0.1
done
grep -q "listening" "$WORK/serve.log" || die "tessera did not start in 60 s"

# --- data -----------------------------------------------------------------------------
say "adding $USERS subscribers ($SUB_PRODUCT) and $USERS Flex users ($FLEX_PRODUCT) with access tokens"
"$PREP" prep --db "$DB" --issuer "$URL" --out "$WORK/pairs" \
    --subscription-users "$USERS" --flex-users "$USERS" \
    --subscription-product "$SUB_PRODUCT" --flex-product "$FLEX_PRODUCT"
FLEX_TEAM=$(cat "$WORK/pairs/flex-team")
ledger() { "$PREP" ledger --db "$DB" --team "$FLEX_TEAM"; }

for pop in $POPULATIONS; do
    [ -f "$WORK/pairs/$pop.tsv" ] || die "unknown population $pop (subscription, flex)"
done
declare -A WARM_NOTE=()

# --- measurement ----------------------------------------------------------------------
listener_pid() { ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
pid_ticks() {
    local st
    st="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
    st="${st##*) }"
    awk -v s="$st" 'BEGIN { split(s, f, " "); print f[12] + f[13] }'
}
# user+system CPU ticks of all PostgreSQL server processes on this machine (0 if none), so
# that the database's share is not counted as "everything else" on PostgreSQL runs
pg_ticks() {
    local t=0 f st
    local -a x
    for f in /proc/[0-9]*/stat; do
        read -r st 2>/dev/null <"$f" || continue
        [[ "$st" == *" (postgres) "* ]] || continue
        read -ra x <<<"${st##*) }"
        t=$(( t + x[11] + x[12] ))
    done
    echo "$t"
}
machine_ticks() { awk 'NR == 1 { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, t - $5 - $6 }' /proc/stat; }

ROWS=()
NOTES=()
FAILED=()
CONTENDED=()
FLEX_LEDGER0=
ENDPOINT="$URL/licensing/v1/authorize"
SPID="$(listener_pid)"
[ -n "$SPID" ] || SPID="$SERVE_PID"

measure() {
    local pop="$1" pairs="$WORK/pairs/$1.tsv" log="$OUT/wrk-$1.log"
    wait_for_quiet
    # One authorization per person, right before the measurement: registers the device,
    # takes the session and, for Flex, opens (and charges) the 24-hour window. All must be
    # 200. Done here, not earlier, so that no heartbeat comes due (TOUCH_EVERY, 1 minute)
    # during a measurement of the usual length: all 200 would come due at once.
    local t0=$SECONDS
    WARM_NOTE[$pop]="$("$PREP" warm --url "$URL" --pairs "$pairs")"
    say "$pop: first authorization of each person: ${WARM_NOTE[$pop]}"
    [ "$pop" = flex ] && { FLEX_LEDGER0="$(ledger)"; say "flex: the Flex team after it: $FLEX_LEDGER0"; }
    if [ "$WARM" -gt 0 ]; then
        say "$pop: warming up for ${WARM}s (not recorded)"
        "${WRK[@]}" -t"$THREADS" -c"$CONNS" -d"${WARM}s" -s "$HERE/authorize.lua" "$ENDPOINT" -- "$pairs" \
            >"$OUT/wrk-$pop-warmup.log" 2>&1 || { cat "$OUT/wrk-$pop-warmup.log" >&2; die "wrk (warm-up) failed"; }
    fi
    local after=""
    if [ "${BENCH_PERF:-0}" = 1 ]; then
        perf record -F 999 -g -p "$SPID" -o "$OUT/perf-$pop.data" -- sleep "$SECS" >/dev/null 2>&1 &
        PERF_PID=$!
    fi
    say "$pop: measuring: ${WRK[*]} -t$THREADS -c$CONNS -d${SECS}s --latency -s authorize.lua $ENDPOINT"
    local m0 m1 s0 s1 p0 p1
    p0="$(pg_ticks)"; m0="$(machine_ticks)"; s0="$(pid_ticks "$SPID")"
    /usr/bin/time -f '%U %S' -o "$log.time" \
        "${WRK[@]}" -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/authorize.lua" "$ENDPOINT" \
        -- "$pairs" >"$log" 2>&1 || { cat "$log" >&2; die "wrk failed for $pop"; }
    m1="$(machine_ticks)"; s1="$(pid_ticks "$SPID")"; p1="$(pg_ticks)"
    if [ -n "$PERF_PID" ]; then
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=
        perf report -i "$OUT/perf-$pop.data" --stdio --no-children -g none --sort dso,symbol \
            --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep '%' | sed 's/ *$//' | head -50 >"$OUT/perf-$pop.txt" || true
        perf report -i "$OUT/perf-$pop.data" --stdio --no-children -g none --sort comm 2>/dev/null \
            | grep -v '^#' | grep '%' | sed 's/ *$//' | head -8 >>"$OUT/perf-$pop.txt" || true
        say "$pop: perf profile (self time, top entries) in $OUT/perf-$pop.txt"
    fi
    [ "$pop" = flex ] && after="$(ledger)"
    local span=$(( SECONDS - t0 ))
    [ "$span" -lt 60 ] || NOTES+=("$pop: the first authorizations were ${span}s before the end of the measurement: sessions' heartbeats came due during it (a write per person)")
    NOTES+=("$(awk -v m0="$m0" -v m1="$m1" -v s0="$s0" -v s1="$s1" -v pg="$(( p1 - p0 ))" -v w="$(cat "$log.time")" \
        -v name="$pop" -v ncpu="$(nproc)" 'BEGIN {
      split(m0, a, " "); split(m1, b, " "); split(w, t, " ")
      tot = b[1] - a[1]; busy = b[2] - a[2]; srv = s1 - s0; wrk = (t[1] + t[2]) * 100
      if (tot <= 0) tot = 1
      other = busy - srv - wrk - pg; if (other < 0) other = 0
      db = (pg > 0) ? sprintf("PostgreSQL %.0f%%, ", 100 * pg / tot) : ""
      printf "%s: server %.0f%%, wrk %.0f%%, %severything else %.0f%% of %d CPUs", name, 100 * srv / tot, 100 * wrk / tot, db, 100 * other / tot, ncpu
    }')")
    say "CPU: ${NOTES[-1]}"
    local other
    other="$(printf '%s' "${NOTES[-1]}" | sed -n 's/.*everything else \([0-9]*\)%.*/\1/p')"
    [ -n "$other" ] && [ "$other" -gt 10 ] && CONTENDED+=("$pop: other processes used ${other}% of the CPUs")
    local line
    line="$(grep '^BENCH_RESULT ' "$log" || true)"
    [ -n "$line" ] || { cat "$log" >&2; die "no BENCH_RESULT from wrk for $pop"; }
    declare -A r=()
    local kv
    for kv in ${line#BENCH_RESULT }; do r["${kv%%=*}"]="${kv#*=}"; done
    NOTES+=("$(awk -v n="${r[requests]}" -v srv="$(( s1 - s0 ))" -v hz="$(getconf CLK_TCK)" -v name="$pop" \
        'BEGIN { if (n > 0) printf "%s: server CPU time %.0f µs per request", name, srv * 1e6 / hz / n }')")
    local socket=$(( r[connect] + r[read] + r[write] + r[timeout] ))
    local bad=$(( r[status_errors] + socket )) invalid=""
    if [ "${r[requests]}" -eq 0 ] || [ $(( bad * 1000 )) -gt $(( r[requests] * MAX_FAIL_PERMILLE )) ]; then
        FAILED+=("$pop: $bad failed of ${r[requests]} responses; see $log")
        invalid=" INVALID"
    fi
    if [ "$pop" = flex ]; then
        if [ "$FLEX_LEDGER0" = "$after" ]; then
            NOTES+=("flex: the Flex team's ledger did not change over the warm-up and measurement ($after): no tokens charged, no window opened")
        else
            FAILED+=("flex: the Flex team's ledger changed during the warm-up or measurement: before $FLEX_LEDGER0, after $after")
            invalid=" INVALID"
        fi
    fi
    local product=$SUB_PRODUCT
    [ "$pop" = flex ] && product=$FLEX_PRODUCT
    local row
    row="$(awk -v s="$pop ($product, ${r[loaded]} people)" -v n="${r[requests]}" -v d="${r[duration_us]}" \
             -v p50="${r[p50_us]}" -v p99="${r[p99_us]}" -v st="${r[status_errors]}" -v so="$socket" -v bad="$invalid" \
      'BEGIN { extra = (so > 0) ? sprintf(" (+%d socket errors)", so) : "";
               printf "| %s | %.0f | %.2f | %.2f | %d%s%s |", s, n / (d / 1e6), p50 / 1000, p99 / 1000, st, extra, bad }')"
    ROWS+=("$row")
    say "$row"
    bench_result "Licensing authorize: $pop ($product), $CONNS connections" "$(awk -v n="${r[requests]}" -v d="${r[duration_us]}" \
        -v p50="${r[p50_us]}" -v p99="${r[p99_us]}" -v bad="$invalid" \
        'function th(x) { x = sprintf("%.0f", x); while (x ~ /[0-9]{4}/) sub(/[0-9]{3}($|,)/, ",&", x); return x }
         BEGIN { printf "%s/s, p50 %.2f ms, p99 %.2f ms%s", th(n / (d / 1e6)), p50 / 1000, p99 / 1000, bad }')"
}

for pop in $POPULATIONS; do measure "$pop"; done

# --- report ---------------------------------------------------------------------------
{
    echo "## Licensing benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "\`POST /licensing/v1/authorize\`, wrk $( (wrk -v 2>&1 || true) | head -1 | awk '{print $2}'), -t$THREADS -c$CONNS -d${SECS}s" \
         "after a ${WARM}s warm-up, loopback only, release build, $ENGINE, RUST_LOG=warn." \
         "$(nproc) CPUs shared by the server and wrk; ${BUSY}% busy just before the run." \
         "Each person was authorized once just before the warm-up (devices registered, sessions taken, Flex windows opened)."
    echo
    echo "| population | requests/s | p50 ms | p99 ms | non-2xx |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Target: >= 10,000 requests/s and p99 < 5 ms."
    echo
    for pop in $POPULATIONS; do echo "- first authorization of each $pop user: ${WARM_NOTE[$pop]}"; done
    printf -- '- %s\n' "${NOTES[@]}"
    if [ "${#CONTENDED[@]}" -gt 0 ]; then
        echo
        echo "**Not a quiet machine** (figures depressed): $(IFS=';'; echo "${CONTENDED[*]}")."
    fi
} | tee "$OUT/results.md"
say "results in $OUT/results.md; wrk logs in $OUT/wrk-*.log"

if [ -s "$OUT/serve.err" ]; then
    say "the server wrote to stderr (RUST_LOG=warn):"
    sort "$OUT/serve.err" | uniq -c | sort -rn | head -10 >&2
fi
if [ "${#FAILED[@]}" -gt 0 ]; then
    say "FAILED: these figures are not valid:"
    printf '  %s\n' "${FAILED[@]}" >&2
    exit 1
fi
