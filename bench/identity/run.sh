#!/usr/bin/env bash
# Identity benchmark: Tessera vs panva/oidc-provider, on loopback, in one run.
# See README.md in this folder. Usage:
#
#   TESSERA_URL=http://127.0.0.1:3000 TESSERA_CLIENT_ID=... TESSERA_CLIENT_SECRET=... \
#   TESSERA_SSA_ID=... TESSERA_KID=... TESSERA_KEY_PEM=/path/key.pem  bench/identity/run.sh
#
# Without TESSERA_URL only oidc-provider is measured.
#
# Knobs (environment):
#   BENCH_SECONDS=10          duration of each measurement
#   BENCH_CONNECTIONS=32      wrk connections
#   BENCH_THREADS=1           wrk threads
#   BENCH_WARMUP_SECONDS=2    unrecorded wrk run before each measurement (0: none)
#   BENCH_OUT=<dir>           where logs and results go (default: a new /tmp dir)
#   BENCH_KEEP_FILES=0        1: keep the generated bodies, keys and tokens there after the run
#   BENCH_WRK_CPUS=           e.g. "1": run wrk under `taskset -c` (pin the servers yourself)
#   OIDC_PORT=3901            oidc-provider's port on 127.0.0.1
#   OIDC_CPUS=                e.g. "0": run oidc-provider under `taskset -c`
#   OIDC_ASSERTIONS=          one-time client assertions to pre-generate (default 20000/s of run)
#   USERINFO_TOKENS=100       access tokens rotated through in the userinfo measurements
#   BENCH_OIDC_JWT=0          1: also measure oidc-provider's client_credentials with RS256 JWT
#                             access tokens (RFC 8707 resource), as Tessera signs its tokens
#   TESSERA_ASSERTIONS=2000   distinct JWT-bearer assertions, cycled (Tessera allows reuse)
#   TESSERA_TOKEN_AUD=        aud for Tessera assertions (default $TESSERA_URL/authentication/v2/token)
#   TESSERA_USERINFO_TOKENS=  file of Tessera access tokens (one a line) instead of minting them
#   BENCH_MAX_FAIL_PERMILLE=1 allowed failures (non-2xx + socket errors) per 1000 responses
#   BENCH_WAIT_IDLE=0         before each measurement wait up to this many seconds for the
#                             machine to be quiet (on a shared machine; keep it under ~150:
#                             oidc-provider's pre-generated assertions expire 300 s after signing)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECS="${BENCH_SECONDS:-10}"
CONNS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-1}"
WARM="${BENCH_WARMUP_SECONDS:-2}"
OIDC_PORT="${OIDC_PORT:-3901}"
UI_TOKENS="${USERINFO_TOKENS:-100}"
MAX_FAIL_PERMILLE="${BENCH_MAX_FAIL_PERMILLE:-1}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/tessera-bench-identity.XXXXXX)}"
mkdir -p "$OUT"
export BENCH_THREADS="$THREADS"

say() { printf '%s\n' "$*" >&2; }
die() { say "run.sh: ERROR: $*"; exit 1; }

for tool in node wrk ss /usr/bin/time; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y wrk time iproute2)"
done
case "$SECS" in ''|*[!0-9]*|0) die "BENCH_SECONDS must be a whole number of seconds > 0";; esac
case "$WARM" in ''|*[!0-9]*) die "BENCH_WARMUP_SECONDS must be a whole number of seconds";; esac
[ $(( SECS + WARM )) -le 32 ] || die "BENCH_SECONDS + BENCH_WARMUP_SECONDS > 32: the one-time oidc-provider assertions (exp = now+300 s) could not all be generated and used in time"

WRK=(wrk)
[ -n "${BENCH_WRK_CPUS:-}" ] && WRK=(taskset -c "$BENCH_WRK_CPUS" wrk)
NODE_OIDC=(node)
[ -n "${OIDC_CPUS:-}" ] && NODE_OIDC=(taskset -c "$OIDC_CPUS" node)

if [ ! -d "$HERE/node_modules/oidc-provider" ]; then
  say "run.sh: node_modules missing: npm ci"
  (cd "$HERE" && npm ci --no-audit --no-fund >&2)
fi

# --- bookkeeping -----------------------------------------------------------------------
PROVIDER_PID=""
cleanup() {
  if [ -n "$PROVIDER_PID" ] && kill -0 "$PROVIDER_PID" 2>/dev/null; then
    kill "$PROVIDER_PID" 2>/dev/null || true
    wait "$PROVIDER_PID" 2>/dev/null || true
  fi
  # The generated bodies run to hundreds of MB, and the token files hold live tokens.
  if [ "${BENCH_KEEP_FILES:-0}" != 1 ]; then
    rm -f "$OUT"/*-bodies.txt "$OUT/tessera-tokens.txt" \
          "$OUT/oidc/client-key.pem" "$OUT/oidc/userinfo-tokens.txt"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROWS=()        # Markdown table rows
FAILED=()      # measurements over the failure threshold

CPU_NOTES=()   # per-measurement CPU split, printed under the table
CONTENDED=()   # measurements during which other processes took a noticeable share of CPU

# pid of the process listening on the port of URL (empty if unknown)
listener_pid() {
  local hostport="${1#*://}"; hostport="${hostport%%/*}"
  local port="${hostport##*:}"
  [ "$port" = "$hostport" ] && port=80
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
# user+system CPU ticks used so far by PID (all its threads); 0 if unknown
pid_ticks() {
  local st
  [ -n "$1" ] && st="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
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
# "total busy" CPU ticks of the whole machine
machine_ticks() { awk 'NR == 1 { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, t - $5 - $6 }' /proc/stat; }

# With BENCH_WAIT_IDLE=N, wait up to N seconds for other processes to leave the CPUs alone
# (two 1-second samples under 10% busy in a row) before a measurement.
wait_for_quiet() {
  local max="${BENCH_WAIT_IDLE:-0}" waited=0 b
  [ "$max" -gt 0 ] || return 0
  while :; do
    b="$(cpu_busy_pct)"
    if [ "$b" -lt 10 ]; then b="$(cpu_busy_pct)"; [ "$b" -lt 10 ] && return 0; fi
    [ "$waited" -ge "$max" ] && { say "run.sh: still ${b}% busy after ${waited}s; measuring anyway"; return 0; }
    [ "$waited" -eq 0 ] && say "run.sh: machine ${b}% busy; waiting up to ${max}s for it to be quiet"
    sleep 3; waited=$(( waited + 5 ))
  done
}

# measure SERVER OPERATION URL MODE FILE SKIP LIMIT CHECK_WRAPS [WARM_SKIP WARM_LIMIT]
# (SKIP/LIMIT: which lines of FILE the measurement uses; WARM_*: which the warm-up uses.)
measure() {
  local server="$1" op="$2" url="$3" mode="$4" file="$5" skip="$6" limit="$7" check_wraps="$8"
  local warm_skip="${9:-$skip}" warm_limit="${10:-$limit}"
  local slug log
  slug="$(printf '%s-%s' "$server" "$op" | tr -cs 'A-Za-z0-9' '-')"
  log="$OUT/wrk-${slug%-}.log"
  wait_for_quiet
  if [ "$WARM" -gt 0 ]; then
    say "run.sh: warming up $server / $op for ${WARM}s (not recorded)"
    "${WRK[@]}" -t"$THREADS" -c"$CONNS" -d"${WARM}s" -s "$HERE/rotate.lua" "$url" \
      -- "$mode" "$file" "$warm_skip" "$warm_limit" >"${log%.log}-warmup.log" 2>&1 ||
      { cat "${log%.log}-warmup.log" >&2; die "wrk (warm-up) failed for $server / $op"; }
  fi
  say "run.sh: measuring $server / $op: ${WRK[*]} -t$THREADS -c$CONNS -d${SECS}s --latency $url"
  local spid m0 m1 s0 s1
  spid="$(listener_pid "$url")"
  p0="$(pg_ticks)"; m0="$(machine_ticks)"; s0="$(pid_ticks "$spid")"
  /usr/bin/time -f '%U %S' -o "$log.time" \
    "${WRK[@]}" -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/rotate.lua" "$url" \
    -- "$mode" "$file" "$skip" "$limit" >"$log" 2>&1 || { cat "$log" >&2; die "wrk failed for $server / $op"; }
  m1="$(machine_ticks)"; s1="$(pid_ticks "$spid")"; p1="$(pg_ticks)"
  CPU_NOTES+=("$(awk -v m0="$m0" -v m1="$m1" -v s0="$s0" -v s1="$s1" -v pg="$(( p1 - p0 ))" -v w="$(cat "$log.time")" \
      -v known="${spid:+1}" -v name="$server / $op" -v ncpu="$(nproc)" 'BEGIN {
    split(m0, a, " "); split(m1, b, " "); split(w, t, " ")
    tot = b[1] - a[1]; busy = b[2] - a[2]; srv = s1 - s0; wrk = (t[1] + t[2]) * 100
    if (tot <= 0) tot = 1
    other = busy - srv - wrk - pg; if (other < 0) other = 0
    db = (pg > 0) ? sprintf("PostgreSQL %.0f%%, ", 100 * pg / tot) : ""
    if (known) printf "%s: server %.0f%%, wrk %.0f%%, %severything else %.0f%% of %d CPUs", name, 100 * srv / tot, 100 * wrk / tot, db, 100 * other / tot, ncpu
    else printf "%s: wrk %.0f%%, server and everything else %.0f%% of %d CPUs (server pid not found)", name, 100 * wrk / tot, 100 * (busy - wrk) / tot, ncpu
  }')")
  say "run.sh: CPU: ${CPU_NOTES[-1]}"
  local other
  other="$(printf '%s' "${CPU_NOTES[-1]}" | sed -n 's/.*everything else \([0-9]*\)%.*/\1/p')"
  if [ -n "$other" ] && [ "$other" -gt 10 ]; then
    CONTENDED+=("$server / $op: other processes used ${other}% of the CPUs during the measurement")
  fi
  local line
  line="$(grep '^BENCH_RESULT ' "$log" || true)"
  [ -n "$line" ] || { cat "$log" >&2; die "no BENCH_RESULT from wrk for $server / $op"; }
  declare -A r=()
  local kv
  for kv in ${line#BENCH_RESULT }; do r["${kv%%=*}"]="${kv#*=}"; done
  local socket=$(( r[connect] + r[read] + r[write] + r[timeout] ))
  local bad=$(( r[status_errors] + socket ))
  local invalid=""
  if [ "${r[requests]}" -eq 0 ] || [ $(( bad * 1000 )) -gt $(( r[requests] * MAX_FAIL_PERMILLE )) ]; then
    FAILED+=("$server / $op: $bad failed of ${r[requests]} responses (limit ${MAX_FAIL_PERMILLE} per 1000); see $log")
    invalid=" INVALID"
  fi
  if [ "$check_wraps" = 1 ] && [ "${r[wrapped]}" -gt 0 ]; then
    FAILED+=("$server / $op: ran out of one-time assertions (${r[loaded]} loaded) and replayed some; raise OIDC_ASSERTIONS")
    invalid=" INVALID"
  fi
  local row
  row="$(awk -v s="$server" -v o="$op" -v n="${r[requests]}" -v d="${r[duration_us]}" \
           -v p50="${r[p50_us]}" -v p99="${r[p99_us]}" -v st="${r[status_errors]}" -v so="$socket" \
           -v bad="$invalid" \
    'BEGIN { extra = (so > 0) ? sprintf(" (+%d socket errors)", so) : "";
             printf "| %s | %s | %.0f | %.2f | %.2f | %d%s%s |", s, o, n / (d / 1e6), p50 / 1000, p99 / 1000, st, extra, bad }')"
  ROWS+=("$row")
  say "run.sh: $row"
  # One line for bench/run.sh's summary table.
  if [ -n "${BENCH_RESULTS:-}" ]; then
    awk -v s="$server" -v o="$op" -v n="${r[requests]}" -v d="${r[duration_us]}" \
        -v p50="${r[p50_us]}" -v p99="${r[p99_us]}" -v bad="$invalid" \
      'function th(x) { x = sprintf("%.0f", x); while (x ~ /[0-9]{4}/) sub(/[0-9]{3}($|,)/, ",&", x); return x }
       BEGIN { printf "Identity: %s, %s\t%s/s, p50 %.2f ms, p99 %.2f ms%s\n", s, o, th(n / (d / 1e6)), p50 / 1000, p99 / 1000, bad }' \
      >>"$BENCH_RESULTS"
  fi
}

# --- the machine ----------------------------------------------------------------------
# CPU use by anything else, sampled over one second before starting (the load average lags).
cpu_busy_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); tot = 0
    for (i = 2; i <= n; i++) tot += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f", (tot > 0 ? 100 * (tot - idle) / tot : 0) }'
}
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
BUSY="$(cpu_busy_pct)"
say "run.sh: output in $OUT"
say "run.sh: $(nproc) CPUs, ${BUSY}% busy before the run, load average $LOAD (server and load generator share these CPUs)"
[ "$BUSY" -gt 15 ] &&
  say "run.sh: WARNING: the machine is busy (${BUSY}% CPU in use by other processes); figures will be depressed"

# --- Tessera --------------------------------------------------------------------------
if [ -z "${TESSERA_URL:-}" ]; then
  say "run.sh: TESSERA_URL is not set: SKIPPING Tessera; only oidc-provider is measured"
  TESSERA_NOTE="Tessera: skipped (TESSERA_URL not set)"
else
  for v in TESSERA_CLIENT_ID TESSERA_CLIENT_SECRET TESSERA_SSA_ID TESSERA_KID TESSERA_KEY_PEM; do
    [ -n "${!v:-}" ] || die "$v must be set when TESSERA_URL is"
  done
  [ -r "$TESSERA_KEY_PEM" ] || die "TESSERA_KEY_PEM ($TESSERA_KEY_PEM) is not readable"
  [ "$SECS" -le 240 ] || die "BENCH_SECONDS > 240: Tessera assertions (exp = now+300 s) would expire mid-run"
  case "$TESSERA_URL" in
    http://127.*|http://localhost*|http://\[::1\]*) ;;
    *) die "TESSERA_URL must be a loopback http URL (127.0.0.0/8, localhost or [::1]); got $TESSERA_URL";;
  esac
  T_BASE="${TESSERA_URL%/}"
  T_TOKEN_URL="$T_BASE/authentication/v2/token"
  T_USERINFO_URL="$T_BASE/userinfo"
  T_AUD="${TESSERA_TOKEN_AUD:-$T_TOKEN_URL}"
  T_N="${TESSERA_ASSERTIONS:-2000}"
  [ "$T_N" -gt "$UI_TOKENS" ] || T_N=$(( UI_TOKENS + 1000 ))
  # RFC 6749 2.3.1: id and secret are form-urlencoded before the Basic encoding (a no-op
  # for the usual URL-safe characters; Tessera decodes it).
  T_AUTH="Basic $(node -e 'const f = (x) => new URLSearchParams({ x }).toString().slice(2);
    process.stdout.write(Buffer.from(`${f(process.argv[1])}:${f(process.argv[2])}`).toString("base64"))' \
    "$TESSERA_CLIENT_ID" "$TESSERA_CLIENT_SECRET")"

  say "run.sh: Tessera: generating $T_N JWT-bearer assertions (aud $T_AUD)"
  node "$HERE/gen-assertions.mjs" tessera --key "$TESSERA_KEY_PEM" --kid "$TESSERA_KID" \
    --client-id "$TESSERA_CLIENT_ID" --sub "$TESSERA_SSA_ID" --aud "$T_AUD" \
    --scope data:read --count "$T_N" --out "$OUT/tessera-bodies.txt"
  node "$HERE/gen-assertions.mjs" verify --key "$TESSERA_KEY_PEM" --in "$OUT/tessera-bodies.txt" \
    --aud "$T_AUD" --iss "$TESSERA_CLIENT_ID" --kid "$TESSERA_KID"

  # Pre-flight: the exchange answers 200 with a Bearer token; mint the userinfo tokens.
  if [ -n "${TESSERA_USERINFO_TOKENS:-}" ]; then
    BENCH_AUTH="$T_AUTH" node "$HERE/preflight.mjs" exchange "$T_TOKEN_URL" "$OUT/tessera-bodies.txt"
    cp "$TESSERA_USERINFO_TOKENS" "$OUT/tessera-tokens.txt"
    T_SKIP=1
  else
    BENCH_AUTH="$T_AUTH" node "$HERE/preflight.mjs" exchange "$T_TOKEN_URL" "$OUT/tessera-bodies.txt" \
      "$OUT/tessera-tokens.txt" "$UI_TOKENS"
    T_SKIP="$UI_TOKENS"
  fi
  node "$HERE/preflight.mjs" userinfo "$T_USERINFO_URL" "$OUT/tessera-tokens.txt"

  # Tessera allows an assertion to be reused until it expires, so warm-up and measurement
  # both cycle through the same assertions.
  BENCH_AUTH="$T_AUTH" measure Tessera "jwt-bearer token exchange" "$T_TOKEN_URL" post \
    "$OUT/tessera-bodies.txt" "$T_SKIP" 0 0
  measure Tessera "userinfo" "$T_USERINFO_URL" bearer "$OUT/tessera-tokens.txt" 0 0 0
  T_TOK="$(head -1 "$OUT/tessera-tokens.txt")"
  case "$T_TOK" in *.*.*) T_FMT="JWT";; *) T_FMT="opaque";; esac
  TESSERA_NOTE="Tessera: $TESSERA_URL${TESSERA_ENGINE:+ on $TESSERA_ENGINE} (started by the caller; its process, threads and CPU placement are the caller's); its access tokens: $T_FMT, ${#T_TOK} chars"
fi

# --- oidc-provider --------------------------------------------------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$OIDC_PORT") 2>/dev/null; then
  die "something already listens on 127.0.0.1:$OIDC_PORT (set OIDC_PORT)"
fi
say "run.sh: starting oidc-provider on 127.0.0.1:$OIDC_PORT (NODE_ENV=production)"
NODE_ENV=production OIDC_USERINFO_TOKENS="$UI_TOKENS" \
  "${NODE_OIDC[@]}" "$HERE/provider.mjs" "$OUT/oidc" "$OIDC_PORT" >"$OUT/provider.log" 2>&1 &
PROVIDER_PID=$!
for _ in $(seq 1 100); do
  grep -q '^READY ' "$OUT/provider.log" 2>/dev/null && break
  kill -0 "$PROVIDER_PID" 2>/dev/null || { cat "$OUT/provider.log" >&2; die "oidc-provider exited"; }
  sleep 0.2
done
grep -q '^READY ' "$OUT/provider.log" || { cat "$OUT/provider.log" >&2; die "oidc-provider did not start"; }
if grep -v '^READY ' "$OUT/provider.log" | grep -q .; then
  say "run.sh: oidc-provider printed:"; grep -v '^READY ' "$OUT/provider.log" >&2
fi
PJSON="$OUT/oidc/provider.json"
O_VERSION="$(node -p "require('$PJSON').oidc_provider_version")"
O_TOKEN_URL="$(node -p "require('$PJSON').token_endpoint")"
O_USERINFO_URL="$(node -p "require('$PJSON').userinfo_endpoint")"
O_TOKENS="$(node -p "require('$PJSON').userinfo_tokens_file")"

O_N="${OIDC_ASSERTIONS:-$(( 20000 * SECS ))}"
O_W=$(( 20000 * WARM ))
say "run.sh: oidc-provider: generating $(( 1 + O_W + O_N )) one-time client assertions (takes a while)"
node "$HERE/gen-assertions.mjs" oidc --provider-json "$PJSON" --scope data:read \
  --count "$(( 1 + O_W + O_N ))" --out "$OUT/oidc-bodies.txt"
# Each jti is sent at most once: line 1 goes to the pre-flight, the next O_W lines to the
# warm-up, the remaining O_N lines to the measurement.
node "$HERE/preflight.mjs" exchange "$O_TOKEN_URL" "$OUT/oidc-bodies.txt"
node "$HERE/preflight.mjs" userinfo "$O_USERINFO_URL" "$O_TOKENS"

measure oidc-provider "client_credentials + private_key_jwt" "$O_TOKEN_URL" post \
  "$OUT/oidc-bodies.txt" "$(( 1 + O_W ))" 0 1 1 "$O_W"
if [ "${BENCH_OIDC_JWT:-0}" = 1 ]; then
  O_RES="$(node -p "require('$PJSON').jwt_resource")"
  say "run.sh: oidc-provider (JWT access tokens): generating $(( 1 + O_W + O_N )) more one-time client assertions"
  node "$HERE/gen-assertions.mjs" oidc --provider-json "$PJSON" --scope data:read --resource "$O_RES" \
    --count "$(( 1 + O_W + O_N ))" --out "$OUT/oidc-jwt-bodies.txt"
  node "$HERE/preflight.mjs" exchange "$O_TOKEN_URL" "$OUT/oidc-jwt-bodies.txt"
  measure oidc-provider "client_credentials + private_key_jwt, JWT access token" "$O_TOKEN_URL" post \
    "$OUT/oidc-jwt-bodies.txt" "$(( 1 + O_W ))" 0 1 1 "$O_W"
fi
measure oidc-provider "userinfo" "$O_USERINFO_URL" bearer "$O_TOKENS" 0 0 0

# --- report ---------------------------------------------------------------------------
{
  echo "## Identity benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), -t$THREADS -c$CONNS -d${SECS}s after a ${WARM}s warm-up, loopback only." \
       "$(nproc) CPUs shared by the server under test and wrk; ${BUSY}% CPU busy just before the run."
  echo "oidc-provider $O_VERSION on Node $(node -v), NODE_ENV=production, one process, in-memory storage;" \
       "its access tokens: opaque, 43 chars (default), or RS256 JWT where the operation says so."
  echo "$TESSERA_NOTE."
  echo
  echo "| server | operation | requests/s | p50 ms | p99 ms | non-2xx |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "CPU use during each measurement (100% = all CPUs busy):"
  printf -- '- %s\n' "${CPU_NOTES[@]}"
  if [ "${#CONTENDED[@]}" -gt 0 ]; then
    echo
    echo "**Not a quiet machine** (figures depressed): ${CONTENDED[*]}."
  fi
} | tee "$OUT/results.md"
say "run.sh: results in $OUT/results.md; wrk logs in $OUT/wrk-*.log"

if [ "${#CONTENDED[@]}" -gt 0 ]; then
  say ""
  say "run.sh: WARNING: the machine was not quiet; these figures are depressed (re-run when idle):"
  printf '  %s\n' "${CONTENDED[@]}" >&2
fi
if [ "${#FAILED[@]}" -gt 0 ]; then
  say ""
  say "run.sh: FAILED: these figures are not valid:"
  printf '  %s\n' "${FAILED[@]}" >&2
  exit 1
fi
