"""Settings for every environment, read from the process environment (12-factor).

Environment variables:
    DEBUG            "1"/"true" turns on debug mode (development only). Default: off.
    SECRET_KEY       required when DEBUG is off; a development key is used only with DEBUG on.
    DATABASE_URL     e.g. postgres://postgres@127.0.0.1:5432/synthesq. Default: SQLite file db.sqlite3.
    ALLOWED_HOSTS    comma separated. Default with DEBUG: localhost,127.0.0.1,[::1]; without: none.
    CONN_MAX_AGE     seconds a PostgreSQL connection is kept open. Default 60.
    DATABASE_SERVER_SIDE_BINDING  PostgreSQL: bind parameters on the server and prepare the statements a
                     connection runs often. Default on; "0" behind a pooler in transaction mode that does not keep
                     prepared statements (PgBouncer < 1.21, or without max_prepared_statements).
    DATABASE_PREPARE_THRESHOLD, DATABASE_PREPARED_MAX
                     runs of a statement on a connection before it is prepared (5; 0: at once), and the most
                     statements kept prepared per connection, least recently used dropped first (100).
    REDIS_URL        e.g. redis://127.0.0.1:6379/0: Django's cache in Redis, and the throttling counters there.
                     Default: the cache in local memory, the throttling counters in the database.
    API_THROTTLE_TOKEN_RATE, API_THROTTLE_FAILED_AUTH_RATE
                     requests per token, failed authentications per client address ("100/s", "20/min";
                     "off" turns one off).
    API_THROTTLE_TOKEN_BURST, API_THROTTLE_FAILED_AUTH_BURST
                     how many of them may come at once before the rate applies (200, 5).
    TRUSTED_PROXIES  how many proxies in front of the app append to X-Forwarded-For. Default 0 (REMOTE_ADDR).
    API_MAX_BODY_BYTES  largest request body under /api/ (413 above). Default 1048576 (1 MiB).
    INVOICE_PAYMENT_TERMS_DAYS, LOW_STOCK_THRESHOLD, ORDER_RETURN_WINDOW_DAYS, MAX_SALES_DISCOUNT_PERCENT: business.
    Running in production (static files, logs, metrics, health probes, Sentry): the blocks at the end;
    every variable is in the README's configuration table.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from import_export.formats.base_formats import CSV

from synthesq.core.xlsx import StaffXLSX
from synthesq.settings.database import database_settings
from synthesq.settings.environment import env_bool, env_int, env_list, env_rate

BASE_DIR = Path(__file__).resolve().parent.parent.parent


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Unfold (the admin's interface) before django.contrib.admin, so its templates win.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "django_tasks",
    "django_tasks_db",
    "import_export",
    "synthesq.core",
    "integrations", "taxes",  # taxes below inventory: products name a tax class
    "inventory",
    "sales",
    "billing",
]

MIDDLEWARE = [
    # Outermost: body size and control-character limits, problem details for every /api/ error, no-store.
    "synthesq.core.middleware.ApiEdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The back office's (sessions, CSRF, the signed-in user, time zone, messages): /api/ skips them (core.pipeline).
    "synthesq.core.pipeline.ApiBypassMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware", "synthesq.core.timezones.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware", "synthesq.core.pipeline.ApiRejoinMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "synthesq.urls"
WSGI_APPLICATION = "synthesq.wsgi.application"
ASGI_APPLICATION = "synthesq.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite: short connections, waiting for the write lock. PostgreSQL: persistent connections, server-side binding
# and prepared statements unless DATABASE_SERVER_SIDE_BINDING=0 (synthesq/settings/database.py).
DATABASES = {"default": database_settings(BASE_DIR)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's cache: Redis (Django's own backend) when REDIS_URL is set, shared by every worker and server;
# otherwise this process's memory (nothing shared is kept in it: the throttling counters are then in the database).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "synthesq"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "synthesq"}
    )
}

# The API's edges (synthesq.core.middleware): bodies above this are 413 before they are read.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
# Token buckets (synthesq.core.throttling): a key may send its burst at once, then its rate.
API_THROTTLE_RATES = {
    "token": env_rate("API_THROTTLE_TOKEN_RATE", "100/s"),
    "failed_auth": env_rate("API_THROTTLE_FAILED_AUTH_RATE", "20/min"),
}
API_THROTTLE_BURSTS = {
    "token": env_int("API_THROTTLE_TOKEN_BURST", 200),
    "failed_auth": env_int("API_THROTTLE_FAILED_AUTH_BURST", 5),
}
# Where every worker and node keeps the counters: Redis when there is one, else the database.
API_THROTTLE_STORE = "redis" if REDIS_URL else "database"
CSRF_FAILURE_VIEW = "synthesq.core.problems.csrf_failure"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["synthesq.core.authentication.TokenPermissionsBackend"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates and times as staff read them, to the minute: "28 Nov 2026, 14:05" (synthesq/formats/en/formats.py).
FORMAT_MODULE_PATH = ["synthesq.formats"]
# The time zone staff see dates in unless they chose their own (Staff preferences in the admin).
STAFF_DEFAULT_TIME_ZONE = os.environ.get("STAFF_DEFAULT_TIME_ZONE", TIME_ZONE)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["synthesq.core.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["synthesq.core.permissions.ActionPermissions"],
    "DEFAULT_PARSER_CLASSES": ["synthesq.core.parsers.DecimalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["synthesq.core.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "synthesq.core.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "synthesq.core.pagination.CursorPage",
    "DEFAULT_THROTTLE_CLASSES": ["synthesq.core.throttling.TokenRateThrottle"],
    # Client addresses for throttling: REMOTE_ADDR, or what the trusted proxies in front saw.
    "NUM_PROXIES": env_int("TRUSTED_PROXIES", 0),
    "DEFAULT_FILTER_BACKENDS": [
        "synthesq.core.filters.FilterBackend",
        "synthesq.core.filters.StrictOrderingFilter",
    ],
    "ORDERING_PARAM": "sort",
    "EXCEPTION_HANDLER": "synthesq.core.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "synthesq.core.schema.ProblemAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SynthesQ Sales API",
    "DESCRIPTION": (
        "Sales orders from draft to closed: customers, products and stock, orders, invoices and payments.\n\n"
        "Every request needs `Authorization: Bearer <token>`. Errors are RFC 9457 problem details "
        "(`application/problem+json`) with a stable `code`; each code has its own schema (`<Name>Problem`), "
        "attached to every operation and status that can return it. Money amounts are sent as JSON numbers or "
        "strings and always returned as decimal strings quantized to the currency's minor unit.\n\n"
        "Request bodies are at most 1 MiB (413 `payload_too_large`) and JSON nested at most 64 levels "
        "(400 `malformed_request`); unknown fields, control characters and values of another type than "
        "declared are refused (400). Single resources carry an `ETag`; send it back in `If-Match` to change "
        "only that version (412 `precondition_failed` otherwise). Requests per token (by default 100 per "
        "second after a burst of 200) and failed authentications per client address (20 a minute after 5; a "
        "valid token is never refused for other clients' failures) are throttled: 429 `throttled`, with "
        "`Retry-After`, the seconds after which a retry is let through. "
        "Responses are `Cache-Control: no-store`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI assets served from this server (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "sales.models.OrderStatus",
        "ReturnStatusEnum": "sales.models.ReturnStatus", "ShipmentStatusEnum": "sales.models.ShipmentStatus",
        "InvoiceStatusEnum": "billing.models.InvoiceStatus",
        "PaymentMethodEnum": "billing.models.PaymentMethod", "ChargeKindEnum": "taxes.models.ChargeKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "synthesq.core.schema.add_problem_components",
        "synthesq.core.schema.declare_text_patterns",
        "synthesq.core.schema.strip_trailing_slashes",
    ],
}

# The back-office (Django admin with Unfold). Navigation, the dashboard and the order page's tabs are built from
# what each app contributes (synthesq/core/backoffice.py): the settings only point at the builders.
UNFOLD = {
    "SITE_TITLE": "SynthesQ back-office",
    "SITE_HEADER": "SynthesQ Sales",
    "SITE_SUBHEADER": "Back-office",
    "SITE_SYMBOL": "storefront",
    "SHOW_HISTORY": False,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "synthesq.core.backoffice.dashboard_callback",
    "TABS": "synthesq.core.backoffice.page_tabs",
    "STYLES": ["synthesq.core.backoffice.stylesheet_url"],
    "SCRIPTS": ["synthesq.core.backoffice.script_url"],
    "ACCOUNT": {"navigation": "synthesq.core.backoffice.account_links"},
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "synthesq.core.backoffice.sidebar_navigation",
    },
}
# Signing in without ``next`` (from a bookmarked /admin/login/) lands on the admin's index, not /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"
# Exports only (no imports: every write goes through the services).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# XLSX as staff open it: amounts as numbers with their currency's decimals, times as date-times.
EXPORT_FORMATS = [CSV, StaffXLSX]

# Business settings (MAX_SALES_DISCOUNT_PERCENT: the sales role's discount limit of a line or order).
INVOICE_PAYMENT_TERMS_DAYS = env_int("INVOICE_PAYMENT_TERMS_DAYS", 30)
LOW_STOCK_THRESHOLD = env_int("LOW_STOCK_THRESHOLD", 5)
ORDER_RETURN_WINDOW_DAYS = env_int("ORDER_RETURN_WINDOW_DAYS", 30)
MAX_SALES_DISCOUNT_PERCENT = env_int("MAX_SALES_DISCOUNT_PERCENT", 15)
API_TOKEN_LAST_USED_RESOLUTION_SECONDS = 60
SELLER = {  # printed on invoices
    "name": os.environ.get("SELLER_NAME", "SynthesQ Sales Demo Ltd"),
    "address": env_list("SELLER_ADDRESS", ["1 Market Street", "Austin, TX 78701", "United States"]),
    "email": os.environ.get("SELLER_EMAIL", "billing@synthesq.example"),
    "tax_id": os.environ.get("SELLER_TAX_ID", ""),
}
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48)

# Events and webhooks. Background work runs on Django's task framework (django-tasks) with the database backend:
# a task is enqueued by an INSERT in the caller's transaction; `manage.py db_worker` runs them, on any number of
# hosts. Another backend (e.g. RQ on Redis) is a change here, not in code.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 30)
# /healthz/tasks (for alerting, never the balancer) answers 503 when the oldest due task has waited longer than
# this. TASKS_READY_MAX_AGE_SECONDS is its former name (it used to make /readyz unready), still read.
TASKS_MAX_AGE_SECONDS = env_int("TASKS_MAX_AGE_SECONDS", env_int("TASKS_READY_MAX_AGE_SECONDS", 0) or 300)
# Off only to measure what events cost (bench/webhooks.py): read by integrations.events.publish alone.
EVENTS_ENABLED = env_bool("EVENTS_ENABLED", default=True)
WEBHOOK_DISABLE_AFTER_DAYS = env_int("WEBHOOK_DISABLE_AFTER_DAYS", 5)
# One attempt's whole exchange, and how long a worker holds an attempt before another may take it over.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", WEBHOOK_TIMEOUT_SECONDS + 5)
# The DNS lookup of an endpoint's host, at registration and at each delivery (a slow resolver holds no worker).
WEBHOOK_RESOLVE_TIMEOUT_SECONDS = env_int("WEBHOOK_RESOLVE_TIMEOUT_SECONDS", 2)
# Development and tests only: deliver to http:// and to private/loopback addresses.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
# =====================================================================================================
# Production shape (issue 14): request ids, static files, logs, metrics, health probes, error reports.
# One block per concern; every value from the environment (README: "Configuration").
# =====================================================================================================

# --- Request ids ---------------------------------------------------------------------------------------
# X-Request-ID accepted (when sane) or generated, echoed in the response, bound to every log line of the
# request and put in problem bodies as request_id.
MIDDLEWARE.insert(0, "synthesq.core.request_id.RequestIdMiddleware")

# --- Templates shipped in the package ------------------------------------------------------------------
# The checkout keeps templates/ at the top; a built wheel carries the same files as synthesq/templates/
# (pyproject's package-dir), which an installed copy finds here.
_PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
if _PACKAGED_TEMPLATES.is_dir():
    TEMPLATES[0]["DIRS"] = [_PACKAGED_TEMPLATES]

# --- Static files: WhiteNoise --------------------------------------------------------------------------
# The app serves its own static files (admin, API docs) with DEBUG off: compressed, and cached for a year
# under hashed names with the production storage (synthesq.settings.production), filled by collectstatic,
# which gunicorn runs at start-up (manage.py prepare_to_serve). Tests and development use the plain storage.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "whitenoise.middleware.WhiteNoiseMiddleware")
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")

# --- Logs: structlog -----------------------------------------------------------------------------------
# JSON lines by default with DEBUG off, readable console lines with DEBUG on (LOG_FORMAT=json|console).
# django-structlog's middleware binds request_id (the one RequestIdMiddleware chose), user_id and ip to every
# line of a request and ends it with request_finished (route, view, status code, duration_ms).
from synthesq.observability.logs import logging_settings  # noqa: E402

LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("console" if DEBUG else "json")
LOGGING = logging_settings(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
INSTALLED_APPS += ["django_structlog"]
MIDDLEWARE.insert(MIDDLEWARE.index("synthesq.core.request_id.RequestIdMiddleware") + 1,
                  "synthesq.observability.access_log.RequestLogMiddleware")  # django-structlog's, lean
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True  # RequestIdMiddleware has already vetted or replaced it
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = 10  # logging.DEBUG: one INFO line per request, when it finishes

# --- Metrics: Prometheus -------------------------------------------------------------------------------
# django-prometheus: HTTP metrics by view/method/status (its two middlewares wrap all others) and database
# query metrics (its database backends wrap Django's); its after-middleware through synthesq.observability.http_metrics
# (the same series, labelled children remembered). Business counters: synthesq.observability.metrics.
# /metrics answers only a bearer METRICS_TOKEN or an address in METRICS_ALLOWED_IPS (IPs or CIDRs); with
# neither it is 404. With DEBUG the loopback addresses are allowed by default.
INSTALLED_APPS += ["django_prometheus"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "synthesq.observability.http_metrics.PrometheusAfterMiddleware",
]
_PROMETHEUS_DB_ENGINES = {
    "django.db.backends.postgresql": "synthesq.db.postgresql",  # django-prometheus's, health checked cheaply
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
for _database in DATABASES.values():
    _database["ENGINE"] = _PROMETHEUS_DB_ENGINES.get(_database["ENGINE"], _database["ENGINE"])
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"] if DEBUG else [])

# --- Health probes and business events ------------------------------------------------------------------
# /healthz (liveness) and /readyz (readiness: database, migrations, a shared cache when configured), JSON,
# no authentication: synthesq.observability.health (django-health-check's checks). The app also connects
# the receivers that log and count the order lifecycle (synthesq.observability.receivers).
INSTALLED_APPS += ["synthesq.observability"]

# --- Error reports: Sentry -----------------------------------------------------------------------------
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from synthesq.observability.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
    )
