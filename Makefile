# The project's commands. `make demo` and `make test` are the two that matter on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup setup-browser demo screenshots regen check-generated lint test test-fast bench clean

setup: $(STAMP)  ## create .venv and install the project with its pinned dev tools

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: setup  ## run every example recipe on the built-in simulator (no key, no network)
	$(VENV)/bin/wisdomgate run recipes --simulate --out out

# The browser test drives Debian's chromium through Playwright (its own browser download cannot
# work here). `make test` runs this first under CI=true; elsewhere the test skips without it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
setup-browser:  ## install Debian's chromium (apt-get) when it is missing, for the browser test
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

screenshots: setup setup-browser  ## docs/report-gallery.png and docs/report-baseline.png
	$(PY) -m tests.browser docs

regen: setup  ## openapi.json -> generated/ (models + client) and schemas/recipe.schema.json
	$(PY) -m codegen.regen
	$(PY) -m codegen.recipe_schema --write

check-generated: setup  ## fail when generated/ or the recipe schema is not what `make regen` produces
	$(PY) -m codegen.regen --check
	$(PY) -m codegen.recipe_schema --check

lint: setup  ## ruff (runtime, tests, codegen; generated/ with codegen/ruff.toml) and mypy --strict
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m ruff check --config codegen/ruff.toml generated
	$(PY) -m ruff format --check --config codegen/ruff.toml generated
	$(PY) -m mypy

test-fast: setup  ## the tests only
	$(PY) -m pytest -q

test: setup  ## the whole gate CI runs: tests (the browser test too), lint, types, generated-code drift
	@if [ "$$CI" = "true" ]; then $(MAKE) --no-print-directory setup-browser; fi
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-generated

bench: setup  ## benchmarks against google-genai, measured in the same run
	$(PY) -m bench

clean:
	rm -rf out build .pytest_cache .mypy_cache .ruff_cache
