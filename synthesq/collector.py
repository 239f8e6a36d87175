"""Python's garbage collector as a long-lived worker runs it: what gunicorn's workers do once the app is loaded
(``synthesq.gunicorn_conf.post_worker_init``) and what ``bench.profile_api`` does before it profiles, so that the
profile charges requests the collections a worker would make, not those of a fresh interpreter. Imports nothing
of the app: gunicorn's master reads it without loading Django."""

from __future__ import annotations

import gc

# The young generation's threshold in a worker (Python's default: 700). The collector runs when the containers
# allocated and not freed since its last run exceed it. A request's own objects are freed by their reference
# counts when it ends, so from request to request the count grows only by the little cyclic garbage requests leave
# (tens of containers), while within a request it climbs with what the request holds: a page of 50 orders some
# 2,500. At 700 the collector walked the page's objects three times per page, and every tenth run the older
# generation too: 1.1 ms of GC per page under load (issue 25). At 10,000 it runs about once per 40 pages, over
# what has piled up (some 6 ms), 0.17 ms per page; no more garbage than that ever waits for it. (50,000 ran
# once per 250 pages but for 46 ms, and saved no more.)
YOUNG_GENERATION_THRESHOLD = 10_000


def settle_loaded_app() -> None:
    """The app is loaded (Django, every app's modules, settings, URL patterns): some 160,000 objects that live as
    long as the process. ``gc.freeze`` moves them out of the collector's reach, so the full collections that
    requests' garbage sets off (a page of 50 orders allocates thousands of containers and leaves cycles behind) no
    longer walk them all: what made a worker's CPU per page exceed the in-process median (issue 25). The young
    generation's threshold is raised above what a request holds (``YOUNG_GENERATION_THRESHOLD``)."""
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
