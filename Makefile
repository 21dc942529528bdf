# skinmap — the two commands are `make demo` and `make test`; everything else supports them.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_DIR ?= $(CURDIR)/var/demo
PORT   ?= 8000

.PHONY: install system-deps demo test test-fast lint format bench bench-quick clean

install: $(STAMP) system-deps

# Reinstall only when the lock or the project metadata changes (idempotent).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Debian packages the tests drive for real: Chromium (browser tests) and redis-server (distributed crawl).
system-deps:
	@bash scripts/install-system-deps.sh

demo: install
	$(BIN)/skinmap --data-dir $(DATA_DIR) demo --port $(PORT)

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-quick: install
	$(BIN)/python -m benchmarks.run --quick

bench: install
	$(BIN)/python -m benchmarks.run --full --million --write-readme

clean:
	rm -rf $(VENV) var .pytest_cache
