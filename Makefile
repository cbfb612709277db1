# Two entry points, as the README says: `make demo` and `make test`.
.PHONY: demo test test-long bench fuzz lint emulator

emulator:
	scripts/install-emulator.sh

demo: emulator
	scripts/demo.sh $(STACK)

test: emulator
	cargo test --all-targets

# Long suites (many crash trials, large benchmarks) are opt-in.
test-long: emulator
	TERRANE_LONG_TESTS=1 cargo test --all-targets

# terrane and Terraform side by side on the same stacks, on fresh emulators
# (docs/performance.md). Takes about half an hour on a 2-core machine;
# BENCH_SIZES, BENCH_ONLY and the other settings at the top of
# bench/side_by_side.rs narrow it.
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
bench: emulator
	cargo build --release --bin terrane
	TERRANE_BIN=$(TARGET_DIR)/release/terrane cargo run --example side_by_side

# Each fuzz target for FUZZ_SECONDS (default 600); see docs/fuzzing.md.
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
