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

pg_url="${TESSERA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -d "$pg_url"; }
if ! pg_ready && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do pg_ready && break; sleep 1; done
fi

status=0

# Supply chain (deny.toml): licences, banned/duplicate crates and sources need only the
# lockfile and the local registry cache. Advisories need the RustSec database, a git
# repository on GitHub: fetched when it can be reached, otherwise the last copy under
# ~/.cargo/advisory-dbs is used (cargo-deny refuses one older than 30 days). With neither,
# advisories cannot be checked: said loudly, and fatal when TESSERA_REQUIRE_ADVISORIES=1.
echo "== cargo deny check licenses bans sources"
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

# Builds target/debug/tessera and the wasm bundle in target/site that the browser tests serve.
cargo leptos build

e2e_log=$(mktemp)
trap 'rm -f "$e2e_log"' EXIT
browser_total=0

# $1 = engine name; the rest = cargo test arguments.
suite() {
  local engine=$1
  shift
  echo "== ${engine}: cargo test $*"
  TESSERA_TEST_ENGINE=$engine TESSERA_TEST_POSTGRES_URL=$pg_url cargo test "$@" --no-fail-fast || status=$?
}
browser() {
  local engine=$1
  echo "== ${engine}: browser tests"
  TESSERA_TEST_ENGINE=$engine TESSERA_TEST_POSTGRES_URL=$pg_url cargo test -p tessera-e2e --no-fail-fast 2>&1 \
    | tee "$e2e_log" || status=$?
  local n
  n=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) n += $i } END { print n + 0 }' "$e2e_log")
  echo "== ${engine}: browser tests passed: ${n}"
  if [ "$n" -eq 0 ]; then
    echo "== ${engine}: no browser test ran: failing" >&2
    status=1
  fi
  browser_total=$((browser_total + n))
}

suite sqlite --workspace --exclude tessera-e2e
browser sqlite

if pg_ready; then
  # Each test made its own database; drop the last run's before making new ones.
  for db in $(psql -d "$pg_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'tessera\_t\_%'"); do
    psql -q -d "$pg_url" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || true
  done
  suite postgres -p tessera --tests
  browser postgres
else
  echo "== PostgreSQL not reachable at ${pg_url}: its suite did not run" >&2
  if [ -n "${CI:-}" ] || [ -n "${TESSERA_REQUIRE_POSTGRES:-}" ]; then status=1; fi
fi

echo
echo "== browser tests passed: ${browser_total}; total time $(( $(date +%s) - start ))s; exit status ${status}"
exit "$status"
