# Two commands: `make run` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000

.PHONY: run test site bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Build the site, create or migrate the database (the demo county when it is new), serve both.
run: $(STAMP)
	$(BIN)/checklist build-site
	$(BIN)/checklist init
	$(BIN)/checklist demo --if-empty
	PORT=$(PORT) $(BIN)/checklist serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

site: $(STAMP)
	$(BIN)/checklist build-site

bench: $(STAMP)
	@for script in bench/*.py; do [ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python "$$script" --full || exit 1; done

clean:
	rm -rf $(VENV) site .pytest_cache
