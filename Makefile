# seedwatch: `make demo` runs the main job on its embedded defaults,
# `make test` installs and runs the tests. Both build ./.venv first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: demo test lint typecheck check bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q -e examples/seedwatch-hackernews
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) demo/run_demo.py

test: $(VENV)/.installed-test
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests bench demo examples
	$(VENV)/bin/ruff format --check src tests bench demo examples

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(VENV)/.installed-test
	$(PY) bench/parse_feeds.py

clean:
	rm -rf $(VENV) demo-run .pytest_cache .mypy_cache .ruff_cache
