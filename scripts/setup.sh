#!/usr/bin/env bash
# Installs what building (and, with --browser, testing) Tessera needs. Idempotent: each
# step checks what is already there. Versions are pinned here, each for a reason:
# cargo-leptos 0.3.10 (0.3.11 needs a newer rustc), wasm-bindgen-cli equal to the
# wasm-bindgen crate in Cargo.lock, npm binaryen for wasm-opt (Debian's v108 breaks
# hydration), npm playwright equal to the playwright-rs driver version.
set -euo pipefail
cd "$(dirname "$0")/.."
want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
command -v node >/dev/null 2>&1 || need_pkg nodejs
command -v npm >/dev/null 2>&1 || need_pkg npm
command -v cc >/dev/null 2>&1 || need_pkg build-essential
need_pkg pkg-config
if [ "$want_browser" = 1 ]; then
  need_pkg chromium
  need_pkg python3-aiosmtpd
  need_pkg python3-jwt
  need_pkg python3-cryptography
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt-get install ${apt_missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q ' 0\.3\.10'; then
  say "cargo install cargo-leptos 0.3.10 (about 10 minutes, once)"
  cargo install cargo-leptos --locked --version 0.3.10
fi

wb_version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p' | head -1)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wb_version}\$"; then
  say "cargo install wasm-bindgen-cli ${wb_version}"
  # Not --locked: its own lockfile pins a crate the registry no longer has.
  cargo install wasm-bindgen-cli --version "${wb_version}"
fi

# Supply-chain checks (deny.toml) in scripts/test.sh.
deny_version=0.20.2
if ! cargo deny --version 2>/dev/null | grep -q " ${deny_version}\$"; then
  say "cargo install cargo-deny ${deny_version} (a few minutes, once)"
  cargo install cargo-deny --locked --version "${deny_version}"
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -d tools/node_modules/@seriousme/openapi-schema-validator ]; then
  say "npm install binaryen (wasm-opt) and the OpenAPI validator into tools/"
  (cd tools && npm ci --no-fund --no-audit --silent)
fi

if [ "$want_browser" = 1 ] && { [ ! -f end2end/node_modules/playwright/cli.js ] || [ ! -f end2end/node_modules/axe-core/axe.min.js ]; }; then
  say "npm install the Playwright driver and axe-core into end2end/"
  (cd end2end && npm ci --no-fund --no-audit --silent)
fi
