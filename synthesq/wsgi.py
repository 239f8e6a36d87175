"""WSGI entry point. Production deployments set DJANGO_SETTINGS_MODULE=synthesq.settings.production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthesq.settings.base")

application = get_wsgi_application()
