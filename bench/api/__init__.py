"""The API benchmark (``make bench-api``, ``python -m bench.api``): the hot API endpoints against a floor, under
load. Its parts: ``endpoints`` (what is measured), ``seeding`` (the data), ``statements`` (in-process replays),
``cpu`` (CPU by process group from /proc), ``load`` (gunicorn and wrk), ``report`` (the figures); ``__main__``
runs them."""
