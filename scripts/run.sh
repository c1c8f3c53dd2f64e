#!/usr/bin/env bash
# Command 1: build and serve the console on http://127.0.0.1:3000 with demo data, the
# embedded SQLite database under ./data and the local mail outbox. Extra arguments go to
# `tessera serve` (for example --addr 0.0.0.0:3000).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
cargo leptos build --release
# The server and the site files must come from the same profile or pages do not hydrate.
exec target/release/tessera serve --site-root target/site "$@"
