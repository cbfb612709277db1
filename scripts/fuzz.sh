#!/usr/bin/env bash
# Runs every cargo-fuzz target for the given number of seconds (default 600),
# one after the other, installing cargo-fuzz and the nightly compiler it
# needs when they are missing. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
    cargo +nightly install cargo-fuzz --locked
fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/terrane/fuzz-target}"
# Seeds: the repository's own stacks, and a state and a plan file they made.
mkdir -p fuzz/corpus/stack
for file in stacks/network/*.tf stacks/production/*.tf tests/fixtures/ci/stack/*.tf; do
    cp -n "$file" "fuzz/corpus/stack/$(echo "$file" | tr / _)"
done
for target in stack state plan_file; do
    mkdir -p "fuzz/corpus/$target"
    cp -n fuzz/seeds/"$target"/* "fuzz/corpus/$target/" 2>/dev/null || true
    echo "== $target: $seconds s"
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20
done
