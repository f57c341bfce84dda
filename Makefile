# microflask developer commands. Only Python 3.11+ and the package registries are needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "microflask needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

## Serve examples/hello with auto-reload on http://127.0.0.1:5000
run: install
	$(BIN)/uvicorn --app-dir examples/hello app:app --reload --host $(HOST) --port $(PORT)

## Lint, then the whole test suite
test: install lint
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check microflask tests benchmarks examples
	$(BIN)/ruff format --check microflask tests benchmarks examples
	$(BIN)/mypy microflask

bench: install
	$(BIN)/python benchmarks/inprocess.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
