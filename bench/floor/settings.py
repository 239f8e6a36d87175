"""The production settings, with the floor's URLs mounted beside the product's (``bench.floor.urls``)."""

from synthesq.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.floor.urls"
