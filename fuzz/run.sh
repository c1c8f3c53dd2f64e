#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 330), one after another on one core.
# Usage: fuzz/run.sh [SECONDS]    (from anywhere; needs cargo-fuzz: cargo install cargo-fuzz --locked)
# Found crashes land in fuzz/artifacts/<target>/; the growing corpus in fuzz/corpus_run/<target>/
# (git-ignored), seeded from the committed fuzz/corpus/<target>/. Exit status 1 if any target
# crashed. Replay a crash: fuzz/target/<host triple>/release/<target> fuzz/artifacts/<target>/crash-...
set -euo pipefail

seconds="${1:-330}"
cd "$(dirname "$0")/.."
# cargo-fuzz passes nightly-only rustc flags; this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

targets=(csv_import invitee_line assertion)
cargo fuzz build
# The built binaries are run directly: `cargo fuzz run` rebuilds first, and on a tree that
# others are editing that can mean an `app` rebuild between targets.
bin="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus_run/$t"
  echo "== $t: ${seconds}s" >&2
  # One process on one core (libFuzzer's -jobs would fork workers and hide their output in
  # fuzz-N.log files). The full log stays in fuzz/corpus_run/<target>.log.
  dict=()
  [ "$t" = assertion ] || dict=(-dict=fuzz/dict/text.dict)
  set +e
  mkdir -p "fuzz/artifacts/$t"
  "$bin/$t" -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$seconds" -print_final_stats=1 \
    "${dict[@]}" "fuzz/corpus_run/$t" "fuzz/corpus/$t" 2>&1 | tee "fuzz/corpus_run/$t.log" | tail -n 20
  rc="${PIPESTATUS[0]}"
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "!! $t exited with $rc: see fuzz/artifacts/$t/ and fuzz/corpus_run/$t.log" >&2
    status=1
  fi
done
exit "$status"
