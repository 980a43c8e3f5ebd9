# Corridor: `make demo` runs the app with demo data, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CORRIDOR := $(VENV)/bin/corridor
export CORRIDOR_DATA_DIR ?= $(CURDIR)/data

.PHONY: demo test test-sqlite test-postgres lint format bench messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,redis]"
	touch $@

demo: $(VENV)/.installed
	DEBUG=1 $(CORRIDOR) migrate --noinput
	DEBUG=1 $(CORRIDOR) compilemessages --ignore ".venv" -v0 || true
	DEBUG=1 $(CORRIDOR) load_demo
	# A task worker as in production, so that long jobs (schedule runs) show real progress.
	DEBUG=1 HUEY_IMMEDIATE=0 $(CORRIDOR) run_huey --workers 2 & trap 'kill $$!' EXIT INT TERM; \
	DEBUG=1 HUEY_IMMEDIATE=0 $(CORRIDOR) runserver 127.0.0.1:8000

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MAKE) test-sqlite
	@if [ -n "$$TEST_POSTGRES_URL" ]; then $(MAKE) test-postgres; \
	elif [ -n "$$CI" ]; then echo "CI is set but TEST_POSTGRES_URL is not: PostgreSQL tests cannot be skipped"; exit 1; \
	else echo "TEST_POSTGRES_URL not set: PostgreSQL run skipped (CI runs it)"; fi

test-sqlite: $(VENV)/.installed
	DATABASE_URL= $(VENV)/bin/pytest -q -p no:cacheprovider

# The browser journeys do not depend on the database engine: run them once, on SQLite.
test-postgres: $(VENV)/.installed
	DATABASE_URL=$$TEST_POSTGRES_URL $(VENV)/bin/pytest -q -p no:cacheprovider -m "not browser"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed
	$(PY) bench/scheduler.py
	$(PY) bench/matching.py
	$(PY) bench/directory.py
	$(PY) bench/notifications.py

# Extract new strings into the vi/th/km/lo/my catalogs, print what is left to translate, compile.
messages: $(VENV)/.installed
	DEBUG=1 $(PY) scripts/translate.py

clean:
	rm -rf $(VENV) data .pytest_cache
