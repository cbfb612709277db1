# Two entry points, as the README says: `make demo` and `make test`.
.PHONY: demo test test-long lint emulator

emulator:
	scripts/install-emulator.sh

demo: emulator
	scripts/demo.sh $(STACK)

test: emulator
	cargo test --all-targets

# Long suites (many crash trials, large benchmarks) are opt-in.
test-long: emulator
	TERRANE_LONG_TESTS=1 cargo test --all-targets

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
