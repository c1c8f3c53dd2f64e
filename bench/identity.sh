#!/usr/bin/env bash
# Identity benchmark, ours against npm `oidc-provider` in the same run (issue 5):
# JWT-bearer exchanges/s and /userinfo requests/s with wrk on loopback.
#
#   bench/identity.sh            (BENCH_SECONDS, BENCH_CONNECTIONS… pass through; see
#                                 bench/identity/README.md)
#
# Builds the release binary, starts `tessera serve` on a fresh demo database with the
# userinfo limit lifted (R-OIDC1's 500/min per subject would answer 429) and request logs
# off, creates an app, an SSA and a key with the CLI, then runs bench/identity/run.sh,
# which starts oidc-provider itself and prints the Markdown table. Stops what it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench-id.XXXXXX")
SERVE_PID=
cleanup() {
    if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building release binary" >&2
cargo build --release -p tessera >&2
BIN=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/tessera

echo "== starting tessera on a fresh demo database" >&2
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TESSERA_USERINFO_LIMIT_PER_MINUTE=1000000000 RUST_LOG=warn \
    "$BIN" --data-dir "$WORK/data" serve --addr "127.0.0.1:$PORT" --demo-password bench-password-123 \
    >"$WORK/serve.log" 2>"$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 300); do
    grep -q "listening" "$WORK/serve.log" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
    sleep 0.1
done
URL="http://127.0.0.1:$PORT"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
APP=$("$BIN" --data-dir "$WORK/data" app create --team "Northwind Studio" --name "Bench" --scope data:read)
SSA=$("$BIN" --data-dir "$WORK/data" ssa create --client "$(echo "$APP" | json client_id)" --name "Bench SSA")
KEY=$("$BIN" --data-dir "$WORK/data" ssa key create --ssa "$(echo "$SSA" | json ssa_id)")
echo "$KEY" | json private_key_pem >"$WORK/key.pem"

TESSERA_URL="$URL" \
TESSERA_CLIENT_ID=$(echo "$APP" | json client_id) \
TESSERA_CLIENT_SECRET=$(echo "$APP" | json client_secret) \
TESSERA_SSA_ID=$(echo "$SSA" | json ssa_id) \
TESSERA_KID=$(echo "$KEY" | json kid) \
TESSERA_KEY_PEM="$WORK/key.pem" \
    bench/identity/run.sh
