"""gunicorn reads this file from the working directory: the checkout's web nodes use the configuration kept in
the package (an installed copy names it with ``-c python:synthesq.gunicorn_conf``). See that module."""

from synthesq.gunicorn_conf import *  # noqa: F403
