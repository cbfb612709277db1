#!/usr/bin/env bash
# The demo: starts the emulator, then plan -> apply -> plan (expecting no
# changes) of one stack. State goes to a temporary directory, so the demo
# never touches real state files.
#   scripts/demo.sh [STACK_DIR]      (default: stacks/production)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stack="${1:-$root/stacks/production}"
cd "$root"
cargo build --quiet
terrane="${CARGO_TARGET_DIR:-$root/target}/debug/terrane"

eval "$(scripts/emulator.sh start)"
trap 'scripts/emulator.sh stop "$TERRANE_EMULATOR_PID"' EXIT
state_dir="$(mktemp -d)"
state="$state_dir/$(basename "$stack").json"

# Bold headings only on a terminal, and never with NO_COLOR set.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
step "terrane plan $stack"
"$terrane" plan "$stack" --state "$state"
step "terrane apply $stack --auto-approve"
time "$terrane" apply "$stack" --auto-approve --state "$state"
step "terrane plan $stack --detailed-exitcode (expecting no changes)"
set +e
"$terrane" plan "$stack" --detailed-exitcode --state "$state"
code=$?
set -e
if [ "$code" -ne 0 ]; then
  echo "demo: the second plan was not empty (exit $code)" >&2
  exit 1
fi
step "done: the stack is applied and a second plan shows no changes (state: $state)"
