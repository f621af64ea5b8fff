# jointcert — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -n 2  # two pytest-xdist workers; `make test PYTEST_ARGS=` runs serially

.PHONY: demo test check lint format typecheck unit browser-deps haproxy-deps hsm-deps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## demo: install if needed, initialise ./data, seed the sandbox bank, print the demo customers, serve on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/jointcert --data-dir data demo

## test: every gate — ruff, mypy, import contracts, the whole test suite
test: check

check: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP) browser-deps haproxy-deps hsm-deps
	$(BIN)/pytest $(PYTEST_ARGS)

## browser-deps: Debian's chromium (+ a Korean font) for tests/e2e, installed with apt-get when missing
browser-deps:
	@bash scripts/ensure-chromium.sh

## haproxy-deps: Debian's haproxy for the many-nodes test, installed with apt-get when missing
haproxy-deps:
	@bash scripts/ensure-haproxy.sh

## hsm-deps: Debian's softhsm2 (+ opensc) for the PKCS#11 CA-key tests, installed with apt-get when missing
hsm-deps:
	@bash scripts/ensure-softhsm.sh

## bench: benchmarks under bench/, printing rates and ratios against baselines measured in the same run
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
