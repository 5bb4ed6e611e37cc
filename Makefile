# seedwatch: `make demo` runs the main job on its embedded defaults,
# `make test` installs and runs the tests. Both build ./.venv first, with
# exactly the versions in uv.lock (see docs/decisions.md, "Locked dependencies").

PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
# uv itself is pinned too, and installed next to the project, not system-wide.
UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
# Never download a Python: use the one on this machine. `--frozen`: install
# what uv.lock says, never re-resolve (lock-check says when it is stale).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode compiled at install, and ours before each run: where
# PYTHONDONTWRITEBYTECODE is set nothing is cached at import, and every daemon
# a test starts compiled its imports again (about 5 s a start instead of 2).
export UV_COMPILE_BYTECODE := 1
COMPILE := $(PY) -m compileall -q -j 0 src
SYNC := $(UV) sync --frozen --python $(PYTHON)

.PHONY: demo test lint typecheck check bench fuzz lock lock-check lock-outdated clean

$(UV):
	$(PYTHON) -m pip install -q --disable-pip-version-check --target $(TOOLS) uv==$(UV_VERSION)

# The demo needs the base install only; --inexact keeps the test extras of
# an earlier `make test` instead of removing them.
$(VENV)/.installed: pyproject.toml uv.lock | lock-check
	$(SYNC) --inexact
	touch $@

$(VENV)/.installed-test: pyproject.toml uv.lock examples/seedwatch-hackernews/pyproject.toml | lock-check
	$(SYNC) --extra test
	# The example plugin (its tests run with ours); its one dependency is us.
	$(UV) pip install -q --python $(PY) --no-deps -e examples/seedwatch-hackernews
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(COMPILE)
	$(PY) demo/run_demo.py

test: $(VENV)/.installed-test
	$(COMPILE)
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests bench demo examples
	$(VENV)/bin/ruff format --check src tests bench demo examples

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy

check: lint typecheck test

# The parser fuzzer's long profile (tests/test_fuzz_parsers.py): random mutations
# of the real test documents for FUZZ_SECONDS in all; the smallest document that
# broke a parser is kept in fuzz-findings/ (make test runs a short, fixed profile).
FUZZ_SECONDS ?= 600
fuzz: $(VENV)/.installed-test
	SEEDWATCH_FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest tests/test_fuzz_parsers.py \
	  -p no:cacheprovider -o timeout=0 -q

# Every benchmark, then one summary table (about ten minutes on 2 cores).
bench: $(VENV)/.installed-test
	$(PY) bench/all.py

# uv.lock must match pyproject.toml: one line says so when it does not.
lock-check: | $(UV)
	@$(UV) lock --check --python $(PYTHON) --quiet 2>/dev/null || { \
	  echo "uv.lock does not match pyproject.toml: run 'make lock' and commit uv.lock" >&2; exit 1; }

# Refresh the lock to the newest versions pyproject.toml allows.
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

# Which locked versions are older than the newest ones pyproject.toml allows
# (asks the index, changes nothing); exits 1 when `make lock` would change
# something. Meant for a scheduled job, not for every CI run.
lock-outdated: | $(UV)
	@changes=$$($(UV) lock --upgrade --dry-run --python $(PYTHON) 2>&1 | grep -E '^(Add|Update|Remove) ') ; \
	if [ -n "$$changes" ]; then \
	  echo "uv.lock is older than the newest allowed versions ('make lock' would):"; \
	  echo "$$changes"; exit 1; \
	else echo "uv.lock is up to date with the newest allowed versions"; fi

clean:
	rm -rf $(VENV) $(TOOLS) demo-run .pytest_cache .mypy_cache .ruff_cache
