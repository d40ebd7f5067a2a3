# The project's commands. `make demo` and `make test` are the two that matter on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo regen check-generated lint test test-fast bench clean

setup: $(STAMP)  ## create .venv and install the project with its pinned dev tools

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: setup  ## run every example recipe on the built-in simulator (no key, no network)
	$(VENV)/bin/wisdomgate run recipes --simulate --out out

regen: setup  ## openapi.json -> generated/ (models + client) and schemas/recipe.schema.json
	$(PY) -m codegen.regen
	$(PY) -m wisdomgate.recipe.schema --write

check-generated: setup  ## fail when generated/ or the recipe schema is not what `make regen` produces
	$(PY) -m codegen.regen --check
	$(PY) -m wisdomgate.recipe.schema --check

lint: setup  ## ruff (runtime, tests, codegen; generated/ with codegen/ruff.toml) and mypy --strict
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m ruff check --config codegen/ruff.toml generated
	$(PY) -m ruff format --check --config codegen/ruff.toml generated
	$(PY) -m mypy

test-fast: setup  ## the tests only
	$(PY) -m pytest -q

test: setup  ## the whole gate CI runs: tests, lint, types, generated-code drift
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-generated

bench: setup  ## benchmarks against google-genai, measured in the same run
	$(PY) -m bench

clean:
	rm -rf out build .pytest_cache .mypy_cache .ruff_cache
