"""A worker's collector (synthesq.gunicorn_conf): what the app loaded is frozen once the worker has loaded it, so
the full collections requests set off walk only what requests leave (issue 25)."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

from tests.helpers import gunicorn_configuration

gunicorn_conf = gunicorn_configuration()


def test_a_worker_freezes_what_the_app_loaded_once_it_is_loaded() -> None:
    with mock.patch.object(gunicorn_conf.gc, "freeze") as freeze:
        gunicorn_conf.post_worker_init(SimpleNamespace(pid=4242))
    freeze.assert_called_once_with()
