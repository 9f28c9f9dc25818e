# Two commands do all the set-up: `make demo` runs the demo, `make test` runs every test.
# Each creates the virtual environment in .venv and installs the project into it first,
# with the `shopfront` extra (the demo's target) and the `dev` extra (tests, linters).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[shopfront,dev]' 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import shopfront, swarmdeck, locust, gunicorn, pytest, mypy"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m swarmdeck.demo

# The same gate for everyone: CI (.ci/run) calls `make test` too.
test: lint
	@bash scripts/ensure-browser
	@bash scripts/ensure-nginx
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m bandit -c pyproject.toml -r src -q

bench: $(STAMP)
	$(PY) bench/profiles.py

clean:
	rm -rf $(VENV) .swarmdeck .pytest_cache .hypothesis .mypy_cache .ruff_cache
