"""ASGI entry point. Production deployments set DJANGO_SETTINGS_MODULE=synthesq.settings.production."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthesq.settings.base")

application = get_asgi_application()
