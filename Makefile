# SynthesQ Sales. The two commands a newcomer needs:
#   make run    set up everything (virtualenv, packages, SQLite database, demo data) and serve on :8000
#   make test   run the whole test suite (SQLite by default; PostgreSQL when DATABASE_URL points at one)
# Production-shaped (README "Running in production"):
#   make release  apply migrations (the release step)     make serve  gunicorn with the production settings

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)
DEV_ENV := DEBUG=1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check lock bench-close bench-nodes bench-api profile-api bench-orders-list bench-webhooks \
	bench-webhook-latency clean venv serve serve-env release dist

venv: $(STAMP)

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The API and admin on runserver, and a task worker beside it (webhook deliveries), the demo data and a fresh
# token; the URLs and the token are printed last, once both are up. One Ctrl-C stops both (manage.py run_dev).
run: venv
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) WEBHOOK_ALLOW_PRIVATE_URLS=1 $(BIN)/python manage.py run_dev $(HOST):$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEV_ENV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# Production settings must pass Django's deployment checklist.
check: venv
	DJANGO_SETTINGS_MODULE=synthesq.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	ALLOWED_HOSTS=sales.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

# --- production shape -------------------------------------------------------------------------------
# The production settings on PostgreSQL, served by gunicorn through the Procfile's processes (honcho).
# gunicorn refuses to start while migrations are pending (run `make release`) and collects the static files when
# they changed since the last start (the first start takes a minute or two, later ones seconds).
# Plain HTTP on HOST:PORT for a local run: no redirect to HTTPS unless SECURE_SSL_REDIRECT=1 is set.
SERVE_ENV := DJANGO_SETTINGS_MODULE=synthesq.settings.production \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-localhost,127.0.0.1}" SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}" \
	GUNICORN_BIND="$${GUNICORN_BIND:-$(HOST):$(PORT)}" PATH="$(CURDIR)/$(BIN):$$PATH"

serve-env:
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make serve/release need DATABASE_URL=postgres://user@host:5432/db (and SECRET_KEY)" >&2; exit 2;; esac
	@test -n "$$SECRET_KEY" || { echo "make serve/release need SECRET_KEY (50+ random characters)" >&2; exit 2; }

release: venv serve-env
	$(SERVE_ENV) $(BIN)/honcho --no-colour start release

serve: venv serve-env
	@echo "Serving on http://$(HOST):$(PORT)/ (admin /admin/, API /api/v1/, probes /healthz /readyz, queue /healthz/tasks)"
	$(SERVE_ENV) $(BIN)/honcho --no-colour start web worker

# A wheel and an sdist in dist/ (templates and static files inside).
dist: venv
	$(BIN)/python -m build --outdir dist .

# Re-pin requirements.lock after changing dependencies in pyproject.toml.
lock: venv
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

# Close 100,000 delivered orders on PostgreSQL and compare with a bare UPDATE (prints figures).
bench-close: venv
	$(BIN)/python -m bench.close_orders $(BENCH_ARGS)

# Two gunicorn nodes on one PostgreSQL: the concurrency scenarios split across them, every invariant checked,
# and the throughput of two nodes against one (prints figures).
bench-nodes: venv
	$(BIN)/python -m bench.two_nodes $(BENCH_ARGS)

# The hot API endpoints under load (gunicorn, wrk) against a bare DRF floor, with the statements per request
# (prints figures; BENCH_ARGS="--quick" for a short look, "--json PATH" to keep them). Needs wrk (apt-get install wrk).
bench-api: venv
	$(BIN)/python -m bench.api $(BENCH_ARGS)

# Where each hot request's CPU time goes, by category (ORM, DRF, our apps, middleware…), against its floor
# (cProfile over in-process replays; BENCH_ARGS="--top 15" to list our code's heaviest functions too).
profile-api: venv
	$(BIN)/python -m bench.profile_api $(BENCH_ARGS)

# GET /api/v1/sales/orders on the first and deep pages of a million orders (cursor pagination; prints figures;
# BENCH_ARGS="--orders 100000" for a shorter run).
bench-orders-list: venv
	$(BIN)/python -m bench.orders_list $(BENCH_ARGS)

# What events cost the API (with and without them) and how fast workers deliver webhooks (prints figures).
bench-webhooks: venv
	$(BIN)/python -m bench.webhooks $(BENCH_ARGS)

# How long a committed change takes to reach a webhook receiver, by the worker's poll interval (prints figures).
bench-webhook-latency: venv
	$(BIN)/python -m bench.webhook_latency $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache staticfiles build dist *.egg-info
