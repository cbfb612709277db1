# Two entry points, as the README says: `make demo` and `make test`.
.PHONY: demo test test-long fuzz lint emulator

emulator:
	scripts/install-emulator.sh

demo: emulator
	scripts/demo.sh $(STACK)

test: emulator
	cargo test --all-targets

# Long suites (many crash trials, large benchmarks) are opt-in.
test-long: emulator
	TERRANE_LONG_TESTS=1 cargo test --all-targets

# Each fuzz target for FUZZ_SECONDS (default 600); see docs/fuzzing.md.
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
