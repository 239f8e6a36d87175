"""WSGI entry point. A WSGI server is how production serves, so the settings default to
``synthesq.settings.production`` here (``manage.py`` and ``python -m synthesq`` default to the base settings, and
``runserver`` reaches this module with them already chosen).

Under gunicorn, this module refuses to load unless gunicorn read ``synthesq.gunicorn_conf`` (the checkout's
``gunicorn.conf.py`` loads it, an installed copy names it with ``-c python:synthesq.gunicorn_conf``): without it a
node would serve with one worker, without the start-up checks (pending migrations, ``ALLOWED_HOSTS``, static
files) and with gunicorn's HTML error pages, silently.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthesq.settings.production")

if "gunicorn.arbiter" in sys.modules and not os.environ.get("SYNTHESQ_GUNICORN_CONF"):  # gunicorn serves
    raise ImproperlyConfigured(
        "gunicorn is serving SynthesQ Sales without its configuration (workers, start-up checks, limits): start it "
        "as `gunicorn -c python:synthesq.gunicorn_conf` (from a checkout, `gunicorn synthesq.wsgi` in its "
        "directory reads gunicorn.conf.py, which does the same)."
    )

application = get_wsgi_application()
