# Two commands do all the set-up: `make demo` runs the demo, `make test` runs every test.
# Each creates the virtual environment in .venv and installs the project into it first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import shopfront, swarmdeck, locust, gunicorn"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m swarmdeck.demo

test: $(STAMP)
	@bash scripts/ensure-browser
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/profiles.py

clean:
	rm -rf $(VENV) .swarmdeck .pytest_cache .hypothesis
