#!/usr/bin/env bash
# Command 2: every test. Unit tests, integration tests against the real server, and the
# browser tests in end2end/ (Debian Chromium through playwright-rs).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
start=$(date +%s)

# Builds target/debug/tessera and the wasm bundle in target/site that the browser tests serve.
cargo leptos build

status=0
cargo test --workspace --exclude tessera-e2e --no-fail-fast || status=$?

e2e_log=$(mktemp)
trap 'rm -f "$e2e_log"' EXIT
cargo test -p tessera-e2e --no-fail-fast 2>&1 | tee "$e2e_log" || status=$?
browser=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) n += $i } END { print n + 0 }' "$e2e_log")

echo
echo "== browser tests passed: ${browser}; total time $(( $(date +%s) - start ))s; exit status ${status}"
if [ "$browser" -eq 0 ]; then
  echo "== no browser test ran: failing" >&2
  exit 1
fi
exit "$status"
