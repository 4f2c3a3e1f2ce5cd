# The verbs people use. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Only the site's own code carries reader-facing strings.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=tests --ignore=examples --ignore=bench --ignore=staticfiles

.PHONY: install run worker test lint fmt lock messages bench bench-webhooks clean backup restore outdated soak soak-faults lighthouse rush replica-test proxy-test bench-instructions

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The compiled catalogues (*.mo) are not kept in git. Babel compiles them, so
# installing needs no GNU gettext (only `make messages` does).
install: $(BIN)/python ## Install the pinned dependencies into .venv
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@if [ -d locale ]; then $(BIN)/pybabel -q compile -d locale -D django; fi

run: install ## Migrate, load the demo content, start a background worker and serve on http://127.0.0.1:8000
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo_content
	$(MANAGE) worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: ## Run a background worker (emails, webhook deliveries) until stopped
	$(MANAGE) worker

# Tests run in TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs them in this one.
TEST_WORKERS ?= 2

test: ## Run every test (DATABASE_URL picks the database; SQLite when unset) on two cores
	@[ -x $(BIN)/pytest ] || $(MAKE) install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

replica-test: ## The read-replica tests: a PostgreSQL primary and streaming replica of their own (pg_basebackup), gunicorn on them (needs PostgreSQL 15 server binaries and DATABASE_URL on PostgreSQL)
	$(BIN)/pytest tests/kernel/test_db_router.py $(PYTEST_ARGS)

proxy-test: ## The caching proxy's tests: varnishd with deploy/varnish/site.vcl in front of gunicorn, and the nginx file parsed (needs varnish, varnish-modules, nginx; DATABASE_URL on PostgreSQL)
	$(BIN)/pytest tests/kernel/test_proxy_cache.py tests/test_connection_pool.py tests/deploy $(PYTEST_ARGS)

lint: ## Check style, the layers (docs/architecture.md) and that migrations match the models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(MANAGE) makemigrations --check --dry-run

fmt: ## Format and fix what can be fixed automatically
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

messages: ## Refresh the translation catalogues after changing strings
	$(MANAGE) makemessages -l zh_Hans $(MESSAGES_IGNORE) --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

backup: ## Back up the database and media into backups/<timestamp>/
	$(MANAGE) backup

restore: ## Restore a backup: make restore BACKUP=backups/<timestamp>
	@[ -n "$(BACKUP)" ] || { echo "usage: make restore BACKUP=backups/<timestamp>"; exit 2; }
	$(MANAGE) restore $(BACKUP)

outdated: ## List dependencies that have newer releases than the lock file pins
	$(BIN)/uv pip list --python $(BIN)/python --outdated

soak: ## 60 s of mixed pages and API at 64 connections against gunicorn; reports errors and worker memory
	$(BIN)/python bench/soak.py

soak-faults: ## The same load with no Redis, Redis up, refused and hung (10 s each); fails below 80% of no-Redis requests/s, on a 5xx, or with a noisy log
	cd bench && ../$(BIN)/python soak_faults.py $(SOAK_FAULTS_ARGS)

bench: ## Load benchmark of every page and API against gunicorn, PostgreSQL and the 100x data (about 10 min; BENCH_ARGS="--duration 3" for a quick look)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-instructions: ## Machine instructions per request of every benchmark address, counted under valgrind (steady on a busy machine; about 15 min; INSTRUCTIONS_ARGS="--against FILE.json" compares runs)
	$(BIN)/python bench/instructions.py $(INSTRUCTIONS_ARGS)

rush: ## An event's opening rush against gunicorn + PostgreSQL: 1,000 registrations in a minute, 1,000 check-ins; fails on an error, overbooking or p99 >= 300 ms (RUSH_ARGS="--registrations 200 --seconds 12" for a quick look)
	$(BIN)/python bench/registration_rush.py $(RUSH_ARGS)

lighthouse: ## Lighthouse scores of home, news, an article and the directory under gunicorn, production settings (needs chromium and npm; exits 1 below 95)
	$(BIN)/python bench/lighthouse.py $(LIGHTHOUSE_ARGS)

bench-webhooks: ## 10,000 public changes delivered to a local receiver failing half the time: deliveries/s per worker, none lost or duplicated (needs PostgreSQL)
	$(BIN)/python bench/webhooks_burst.py $(BENCH_WEBHOOKS_ARGS)

explain: ## Query plans of every page and API list on the 100x data (reads DATABASE_URL, by default alliance_bench); report in bench/results/explain.md
	$(BIN)/python bench/explain.py $(EXPLAIN_ARGS)
