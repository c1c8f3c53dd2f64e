#!/usr/bin/env bash
# Identity benchmark, ours against npm `oidc-provider` in the same run (issue 5):
# JWT-bearer exchanges/s and /userinfo requests/s with wrk on loopback.
#
#   bench/identity.sh            (BENCH_SECONDS, BENCH_CONNECTIONS… pass through; see
#                                 bench/identity/README.md)
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/identity.sh
#
# Builds the release binaries (unless bench/run.sh did), starts `tessera serve` on a fresh
# demo database (SQLite, or a new PostgreSQL database: bench/lib.sh) with the userinfo limit
# lifted (R-OIDC1's 500/min per subject would answer 429) and request logs off, creates an
# app, an SSA and a key with the CLI, then runs bench/identity/run.sh, which starts
# oidc-provider itself and prints the Markdown table. Stops what it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source bench/lib.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-id.XXXXXX")
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

echo "== starting tessera on a fresh demo database ($ENGINE)" >&2
# The benchmark hammers /userinfo and the token endpoint from 127.0.0.1: lift the per-subject
# userinfo limit and turn the per-IP token-endpoint limit off (0), or it measures 429s.
SERVE_ENV=(env TESSERA_USERINFO_LIMIT_PER_MINUTE=1000000000 TESSERA_TOKEN_LIMIT_PER_MINUTE=0 RUST_LOG=warn)
bench_serve --demo-password bench-password-123

json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
APP=$(tessera app create --team "Northwind Studio" --name "Bench" --scope data:read)
SSA=$(tessera ssa create --client "$(echo "$APP" | json client_id)" --name "Bench SSA")
KEY=$(tessera ssa key create --ssa "$(echo "$SSA" | json ssa_id)")
echo "$KEY" | json private_key_pem >"$WORK/key.pem"

TESSERA_URL="$URL" \
TESSERA_ENGINE="$ENGINE" \
TESSERA_CLIENT_ID=$(echo "$APP" | json client_id) \
TESSERA_CLIENT_SECRET=$(echo "$APP" | json client_secret) \
TESSERA_SSA_ID=$(echo "$SSA" | json ssa_id) \
TESSERA_KID=$(echo "$KEY" | json kid) \
TESSERA_KEY_PEM="$WORK/key.pem" \
    bench/identity/run.sh
