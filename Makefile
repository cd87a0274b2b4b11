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

# Tests run with production-like settings (DEBUG off) and a throwaway secret, never reading
# the development .env.
TEST_ENV := ENV_FILE= DEBUG=0 SECRET_KEY=test-only-secret-key-not-for-production-0123456789abcdef \
	ALLOWED_HOSTS=testserver,localhost,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 STATIC_MANIFEST=0
DEV_ENV := DEBUG=1

.PHONY: run manage test browser lint format typecheck install migrate seed serve messages e2e bench screenshots faults clean

.venv-uv/bin/uv:
	@echo "uv not found: bootstrapping it with pip into .venv-uv"
	$(PYTHON) -m venv .venv-uv && .venv-uv/bin/pip install --quiet uv

install: $(if $(shell command -v uv 2>/dev/null),,.venv-uv/bin/uv)
	$(UV) sync --frozen --python "$(PYTHON)"

migrate: install
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) kpi_aggregates --rebuild-if-empty

seed: migrate
	$(DEV_ENV) $(MANAGE) load_municipalities
	$(DEV_ENV) $(MANAGE) seed_demo

# The development settings every manage.py command reads (config/settings.py): written once,
# never overwritten, never committed (.gitignore).
.env:
	@printf '%s\n' "# Development settings (written by make run; not for production, never committed)." \
		"# The environment overrides them. See README.md, Configuration." "DEBUG=1" > $@
	@echo "Wrote .env (DEBUG=1): manage.py commands now run in development mode."

# The development server and one background-task worker (large exports); Ctrl-C stops both.
# PORT (8000) and HOST (127.0.0.1) can be changed: make run PORT=8010.
run: .env seed
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/  (log in with a demo account above, password: demo)"
	@$(DEV_ENV) .venv/bin/python manage.py run_worker -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) .venv/bin/python manage.py runserver $(HOST):$(PORT)

# Any management command with the development settings: make manage ARGS="kpi_report --fy 2021".
manage: install
	@$(DEV_ENV) $(MANAGE) $(ARGS)

test: install browser
	$(TEST_ENV) $(UV) run --frozen pytest $(ARGS)

# Debian's Chromium, CJK fonts and poppler-utils (the print tests read their PDFs back) for the
# browser tests (tests/e2e/browser.py): installed here when running as root, as CI does;
# otherwise the browser tests stop with one line saying what to install. CHROMIUM overrides the browser's path.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
browser:
	@if [ ! -x "$(CHROMIUM)" ] || [ ! -x /usr/bin/pdftoppm ] || ! fc-list :lang=ja family 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium, fonts-noto-cjk and poppler-utils for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils; \
	  fi; \
	fi

# The browser tests alone (they also run in `make test`): Debian's /usr/bin/chromium, no download.
e2e: install browser
	$(TEST_ENV) $(UV) run --frozen pytest tests/e2e $(ARGS)

# Seed the demo data into a throwaway database, serve it, and render the main pages at desktop
# and tablet widths into docs/screenshots/ (shown in README.md).
screenshots: install browser
	$(UV) run --frozen python scripts/screenshots.py

# Every Django template, formatted by djade (Django's template style guide; it reads the
# Django version from pyproject.toml and touches template tags only, never the HTML).
TEMPLATE_FILES = $(shell git ls-files '*templates/*.html' 2>/dev/null || find . -path ./.venv -prune -o -path '*templates/*.html' -print)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen djade --check $(TEMPLATE_FILES)

# mypy with django-stubs, strict on the app code (pyproject.toml, [tool.mypy]).
typecheck: install
	$(UV) run --frozen mypy .

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen djade $(TEMPLATE_FILES) || $(UV) run --frozen djade --check $(TEMPLATE_FILES)

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
