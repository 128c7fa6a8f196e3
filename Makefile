# lexflow: `make demo` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format bench clean

$(STAMP): pyproject.toml
	@echo "installing lexflow and its dependencies into $(VENV) (about a minute, once) ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)
	@echo "installed: $(BIN)/lexflow --help"

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m lexflow.prefect.demo $(if $(KEEP),--keep,)

# Two workers (CI has 2 cores; most of a test's time is waiting on sockets and subprocesses); a file's tests stay on
# one worker, and each worker has its own Prefect test server, sandboxes and PostgreSQL database (tests/conftest.py).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
