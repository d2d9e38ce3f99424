# ferrodis: `make run` starts the server with built-in defaults; `make test` runs every test.
CARGO ?= cargo
PORT ?= 6379

.PHONY: build run test deps bench fmt lint coverage fuzz docs clean

build:
	$(CARGO) build --release

run: build
	./target/release/ferrodis --port $(PORT)

# The integration and differential tests drive the real redis-server / redis-cli, and an
# interactive `redis-cli -3` inside tmux, and `ss` (iproute2) to read listen backlogs; the TLS
# tests make their certificates with `openssl` (scripts/gen-test-certs.sh).
deps:
	@if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null \
		|| ! command -v tmux >/dev/null || ! command -v ss >/dev/null \
		|| ! command -v openssl >/dev/null; then \
		echo "installing redis-server, redis-tools, tmux, iproute2 and openssl"; \
		SUDO=$$(command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y redis-server redis-tools tmux iproute2 openssl; \
	fi

test: deps
	$(CARGO) build --release
	$(CARGO) test --release

bench: build
	$(CARGO) bench --bench core
	./scripts/bench.sh

# Regenerate docs/commands.md from the command table.
docs:
	FERRODIS_REGEN_DOCS=1 $(CARGO) test --lib commands_md_matches_the_table

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

coverage:
	./scripts/coverage.sh

fuzz:
	./scripts/fuzz.sh

clean:
	$(CARGO) clean
