# SessionLedger: `make run` serves the demo practice, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1:8000

.PHONY: install run demo test test-e2e lint format bench clean screenshots backup fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_catalog
	$(PY) manage.py demo --serve $(HOST)

# HOST is runserver's address and port (make run HOST=0.0.0.0:8080); the demo logins name it.
run: demo
	$(PY) manage.py runserver $(HOST)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# ≥ 10,000 fuzzed requests (SL_FUZZ_EXAMPLES per role, four roles); prints the counts.
SL_FUZZ_EXAMPLES ?= 2500
fuzz: install
	SL_FUZZ_EXAMPLES=$(SL_FUZZ_EXAMPLES) $(PY) -m pytest tests/test_fuzz.py -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

backup: install
	$(PY) manage.py backup $(BACKUP_ARGS)

screenshots: install
	$(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
