"""Production: everything from base, hardened.

DEBUG is off whatever the environment says, and the app refuses to start without a real SECRET_KEY (at least
50 characters, not the development key): base falls back to the development key when DEBUG=1, which must never
sign anything in production.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_int, env_list

SECRET_KEY_MIN_LENGTH = 50


def _production_secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set to a random value of at least {SECRET_KEY_MIN_LENGTH} characters under "
            "synthesq.settings.production (whatever DEBUG says), e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    return key


DEBUG = False
SECRET_KEY = _production_secret_key()
# Base widens the default hosts when DEBUG=1; production serves only the hosts it is told.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
# A write sent over plain HTTP is redirected with 308 (method and body kept), not Django's 301 (followed as a GET).
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware"),  # noqa: F405
                  "synthesq.core.security.HttpsRedirectKeepsWritesMiddleware")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# --- Production shape (issue 14) -----------------------------------------------------------------------
# Static files under hashed names, gzip-compressed, served by WhiteNoise with far-future caching; needs
# collectstatic, which gunicorn runs at start-up (manage.py prepare_to_serve).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Probes and the metrics scraper talk to each node directly over plain HTTP: no redirect to HTTPS for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/tasks$", r"^readyz$", r"^metrics$"]
