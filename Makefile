# Two commands: `make run` and `make test`. Each sets up what it needs first.
# `make run` installs the runtime dependencies exactly as requirements.lock pins them, each file
# checked against its hash, and nothing for tests; `make test` adds the test tools on top.
# After changing the dependencies in pyproject.toml: `make lock` (needs pip-tools: it makes a
# throw-away venv for them).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check
RUN_STAMP  := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
PORT   ?= 8000

.PHONY: run test site bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP) pyproject.toml
	$(PIP) install -e '.[test]'
	touch $@

# Build the site, create or migrate the database (the demo county when it is new), serve both.
run: $(RUN_STAMP)
	$(BIN)/checklist build-site
	$(BIN)/checklist init
	$(BIN)/checklist demo --if-empty
	PORT=$(PORT) $(BIN)/checklist serve

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n auto

site: $(RUN_STAMP)
	$(BIN)/checklist build-site

bench: $(TEST_STAMP)
	@for script in bench/*.py; do [ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python "$$script" --full || exit 1; done

lock:
	$(PYTHON) -m venv /tmp/checklist-pip-tools && /tmp/checklist-pip-tools/bin/pip install --quiet pip-tools
	/tmp/checklist-pip-tools/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml
	rm -rf /tmp/checklist-pip-tools

clean:
	rm -rf $(VENV) site .pytest_cache
