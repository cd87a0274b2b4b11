# The two commands: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# A Python 3.12+ interpreter, resolved to its real path (a pyenv shim would make uv rebuild .venv).
PYTHON ?= $(shell for p in python3.13 python3.12 /root/.pyenv/versions/3.1[2-9]*/bin/python3 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null && break; done)
UV := $(shell command -v uv 2>/dev/null || echo .venv-uv/bin/uv)
MANAGE := $(UV) run --frozen python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests run with production-like settings (DEBUG off) and a throwaway secret.
TEST_ENV := DEBUG=0 SECRET_KEY=test-only-secret-key-not-for-production-0123456789abcdef \
	ALLOWED_HOSTS=testserver,localhost,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 STATIC_MANIFEST=0
DEV_ENV := DEBUG=1

.PHONY: run test lint format typecheck install migrate seed serve messages e2e bench screenshots faults clean

.venv-uv/bin/uv:
	@echo "uv not found: bootstrapping it with pip into .venv-uv"
	$(PYTHON) -m venv .venv-uv && .venv-uv/bin/pip install --quiet uv

install: $(if $(shell command -v uv 2>/dev/null),,.venv-uv/bin/uv)
	$(UV) sync --frozen --python "$(PYTHON)"

migrate: install
	$(DEV_ENV) $(MANAGE) migrate --noinput

seed: migrate
	$(DEV_ENV) $(MANAGE) load_municipalities
	$(DEV_ENV) $(MANAGE) seed_demo

# The development server and one background-task worker (large exports); Ctrl-C stops both.
run: seed
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/  (log in with a demo account above, password: demo)"
	@$(DEV_ENV) .venv/bin/python manage.py run_worker -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) .venv/bin/python manage.py runserver $(HOST):$(PORT)

test: install
	$(TEST_ENV) $(UV) run --frozen pytest $(ARGS)

# The browser tests alone (they also run in `make test`): Debian's /usr/bin/chromium, no download.
e2e: install
	$(TEST_ENV) $(UV) run --frozen pytest tests/e2e $(ARGS)

# Seed the demo data into a throwaway database, serve it, and render the main pages at desktop
# and tablet widths into docs/screenshots/ (shown in README.md).
screenshots: install
	$(UV) run --frozen python scripts/screenshots.py

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

# mypy with django-stubs, strict on the app code (pyproject.toml, [tool.mypy]).
typecheck: install
	$(UV) run --frozen mypy .

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

messages: install
	$(DEV_ENV) $(MANAGE) makemessages -l en --ignore=.venv --ignore=.venv-uv --ignore=tests --ignore=bench
	$(DEV_ENV) $(MANAGE) compilemessages --ignore=.venv --ignore=.venv-uv

# The benchmark (bench/): a synthetic national dataset on PostgreSQL (DATABASE_URL) and the
# measurements; BENCH_SCALE=small builds 1% of it. Migrates the database first, so an empty
# database made with createdb is enough. See README.md, "Benchmark".
bench: migrate
	BENCH_SCALE=$${BENCH_SCALE:-full} $(TEST_ENV) $(UV) run --frozen python -m bench.run

# The real faults (README, "Faults"): SIGKILL of a worker mid-export, a PostgreSQL restart under
# two workers, a 20,000-row ledger through the browser path, against a throwaway cluster of
# its own on 127.0.0.1:5499 (removed at the end). One PASS/FAIL line per fault.
faults: install
	$(UV) run --frozen python scripts/faults.py

clean:
	rm -rf .venv .venv-uv db.sqlite3 staticfiles .pytest_cache .ruff_cache
