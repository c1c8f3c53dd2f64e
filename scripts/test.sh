#!/usr/bin/env bash
# Command 2: every test. Unit tests, integration tests against the real server, and the
# browser tests in end2end/ (Debian Chromium through playwright-rs): first on the embedded
# SQLite, then all integration and browser tests again on PostgreSQL when one is reachable
# (TESSERA_TEST_POSTGRES_URL, default the local server; started here if it is installed
# and down).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
start=$(date +%s)
# Each step says how far into the run it starts, so a slow run shows where the time went.
phase() { echo "== [$(($(date +%s) - start)) s] $*"; }

pg_url="${TESSERA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -d "$pg_url"; }
if ! pg_ready && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do pg_ready && break; sleep 1; done
fi

status=0

# cargo-deny reads `cargo metadata`, which wants every crate in the lockfile (those of other
# platforms too) in the local registry: fetched from crates.io once, then cached.
phase "cargo fetch --locked"
cargo fetch --locked >/dev/null || status=$?

# Supply chain (deny.toml): licences, banned/duplicate crates and sources need only the
# lockfile and the local registry cache. Advisories need the RustSec database, a git
# repository on GitHub: fetched when it can be reached, otherwise the last copy under
# ~/.cargo/advisory-dbs is used (cargo-deny refuses one older than 30 days). With neither,
# advisories cannot be checked: said loudly, and fatal when TESSERA_REQUIRE_ADVISORIES=1.
phase "cargo deny check licenses bans sources"
cargo deny --offline check licenses bans sources || status=$?
deny_log=$(mktemp)
echo "== cargo deny check advisories"
if cargo deny check advisories 2>&1 | tee "$deny_log"; then
  :
elif grep -q 'failed to fetch advisory database' "$deny_log"; then
  if ls -d "$HOME"/.cargo/advisory-dbs/advisory-db-* >/dev/null 2>&1; then
    echo "== the advisory database cannot be fetched: checking against the local copy"
    cargo deny --offline check advisories || status=$?
  else
    echo "== ADVISORIES NOT CHECKED: the RustSec advisory database cannot be fetched from here and there is no local copy" >&2
    if [ -n "${TESSERA_REQUIRE_ADVISORIES:-}" ]; then status=1; fi
  fi
else
  status=1
fi
rm -f "$deny_log"

# How many tests of a binary run at once: libtest's default (one per core) unless
# TESSERA_TEST_THREADS / TESSERA_BROWSER_TEST_THREADS say otherwise. Measured on 2 cores,
# 8 at once did not shorten the integration run (its longest tests bound it) and once left
# a console page unanswered under that load, so the default stays.
api_args=()
[ -n "${TESSERA_TEST_THREADS:-}" ] && api_args=(-- --test-threads "$TESSERA_TEST_THREADS")
browser_args=()
[ -n "${TESSERA_BROWSER_TEST_THREADS:-}" ] && browser_args=(-- --test-threads "$TESSERA_BROWSER_TEST_THREADS")

log=$(mktemp)
frontend_log=$(mktemp)
trap 'rm -f "$log" "$frontend_log"' EXIT
browser_total=0

# Every test binary for both engines is built once, by one cargo command (the same packages,
# so the same features; the later runs build nothing). Meanwhile cargo-leptos builds the wasm
# bundle and the stylesheet in target/site that the browser tests serve; the server they
# start, target/debug/tessera, is the one `cargo test` builds. The two builds overlap: each
# has long single-threaded stretches (linking, wasm-bindgen) that leave a core idle.
phase "building: cargo test --workspace --no-run, and cargo leptos build --frontend-only beside it"
cargo leptos build --frontend-only >"$frontend_log" 2>&1 &
frontend=$!
# --timings leaves target/cargo-timings/cargo-timing.html: what the build spent its time on.
cargo test --workspace --no-run --timings || status=$?
if ! wait "$frontend"; then
  cat "$frontend_log"
  echo "== cargo leptos build --frontend-only failed" >&2
  status=1
fi

# There are three kinds of test: unit tests beside the rules, `tests/api` (the integration
# tests, one binary) and `end2end/tests/browser` (the browser tests, one binary); the
# PostgreSQL run repeats the two kinds that reach a database. The server library's own unit
# tests are in `tests/api/edge`, so they run with the integration tests (`--lib` compiles it
# as an empty crate: see src/lib.rs). $1 = engine; $2 = whether to include the unit tests.
suite() {
  local engine=$1 units=$2
  local targets=(--test api)
  [ "$units" = units ] && targets=(--lib --test api)
  phase "${engine}: cargo test --workspace ${targets[*]} ${api_args[*]}"
  TESSERA_TEST_ENGINE=$engine TESSERA_TEST_POSTGRES_URL=$pg_url \
    cargo test --workspace --no-fail-fast "${targets[@]}" "${api_args[@]}" || status=$?
  phase "${engine}: cargo test --workspace --test browser ${browser_args[*]}"
  TESSERA_TEST_ENGINE=$engine TESSERA_TEST_POSTGRES_URL=$pg_url \
    cargo test --workspace --no-fail-fast --test browser "${browser_args[@]}" 2>&1 \
    | tee "$log" || status=$?
  local n
  n=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) n += $i } END { print n + 0 }' "$log")
  echo "== ${engine}: browser tests passed: ${n}"
  if [ "$n" -eq 0 ]; then
    echo "== ${engine}: no browser test ran: failing" >&2
    status=1
  fi
  browser_total=$((browser_total + n))
}

suite sqlite units

if pg_ready; then
  # Each test made its own database; drop the last run's before making new ones.
  for db in $(psql -d "$pg_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'tessera\_t\_%'"); do
    psql -q -d "$pg_url" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || true
  done
  suite postgres no-units
else
  echo "== PostgreSQL not reachable at ${pg_url}: its suite did not run" >&2
  if [ -n "${CI:-}" ] || [ -n "${TESSERA_REQUIRE_POSTGRES:-}" ]; then status=1; fi
fi

echo
echo "== browser tests passed: ${browser_total}; total time $(( $(date +%s) - start ))s; exit status ${status}"
exit "$status"
