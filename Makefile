# microflask developer commands. Only Python 3.11+ and the package registries are needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

# Type-checked with mypy --strict in `make lint`, as a user's app would be (microflask's own
# modules are checked by the plain `mypy microflask`). One run each: every example is an app.py.
STRICT_EXAMPLES := $(addprefix examples/,hello/app.py rest_api/app.py todo_api/app.py sse_clock/app.py \
	chat/app.py blog/app.py chat_redis/app.py large_app/largeapp)

# The editable install is a static path (a .pth, editable_mode=compat) that mypy sees, not
# setuptools' default import hook, which type checkers cannot follow.
.PHONY: install run test test-services lint bench docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "microflask needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	touch $@

## Serve examples/hello with auto-reload on http://127.0.0.1:5000
run: install
	$(BIN)/microflask run --app examples/hello/app.py --debug --host $(HOST) --port $(PORT)

## Lint, build the docs (strict), then the whole test suite
test: install lint docs test-services
	$(BIN)/python -m pytest -q

## What some tests need beyond pip: headless Chromium and redis-server (Debian packages, installed
## when missing and root may; otherwise those tests skip and say why)
test-services:
	-bash scripts/install-browser.sh
	-bash scripts/install-redis.sh

lint: install
	$(BIN)/ruff check microflask tests benchmarks examples
	$(BIN)/ruff format --check microflask tests benchmarks examples
	$(BIN)/mypy microflask
	for app in $(STRICT_EXAMPLES); do $(BIN)/mypy --strict --follow-imports=silent $$app || exit 1; done
	$(BIN)/lint-imports

## The documentation site (MkDocs + Material + mkdocstrings) into site/; warnings fail the build
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

$(VENV)/.installed-docs: pyproject.toml | install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,docs]' --config-settings editable_mode=compat
	touch $@

## The whole benchmark suite vs Starlette, FastAPI, Quart, Flask, BlackSheep, Litestar (~14 min; peers go into .venv-bench, not .venv)
bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache site
