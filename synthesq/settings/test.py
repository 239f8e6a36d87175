"""Test settings: base with a fixed key and a fast password hasher. DATABASE_URL still picks the database."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
# Test receivers listen on http://127.0.0.1 (SSRF tests switch this off again).
WEBHOOK_ALLOW_PRIVATE_URLS = True

# Static files straight from the apps (as with DEBUG), so tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Throttling is off but where a test sets its rates (tests/core/test_throttling.py): the suite, the fuzzer and
# the generated client send many requests from one address and one token.
API_THROTTLE_RATES = {"token": None, "failed_auth": None}
