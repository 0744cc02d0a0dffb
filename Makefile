# The two commands of the README: `make run` serves the demo archive, `make test` runs every check.
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint browser nginx sshd bench

# The demo stories only here: `masthead serve` on an empty archive adds none unless asked.
# `make run PORT=8080` (or `PORT=8080 make run`) serves on another port than [server] port.
run: $(VENV)/.run-installed
	MASTHEAD_ARCHIVE_DEMO=true $(BIN)/masthead serve$(if $(PORT), --port $(PORT))

test: $(VENV)/.test-installed browser nginx sshd
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

lint: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian's wrk (load generator) and nginx (the static-file yardstick) for `bench serving`.
bench: $(VENV)/.test-installed
	@{ command -v wrk && command -v nginx; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk nginx; }
	$(BIN)/python -m bench

$(VENV)/.run-installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.run-installed

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# Debian's nginx for the tests of the caching proxy and the static export (run by the tests).
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx; }

# Debian's OpenSSH server for the test of replication over sftp (run by the test, on 127.0.0.1).
sshd:
	@command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openssh-server; }
