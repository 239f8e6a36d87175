"""A worker's collector (synthesq.gunicorn_conf, synthesq.collector): what the app loaded is frozen once the worker
has loaded it, so the full collections requests set off walk only what requests leave, and the young generation's
threshold is above what a request holds (issue 25)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from types import SimpleNamespace
from unittest import mock

import pytest

from tests.helpers import gunicorn_configuration

gunicorn_conf = gunicorn_configuration()


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """The collector's thresholds, put back after the test."""
    before = gc.get_threshold()
    try:
        yield before
    finally:
        gc.set_threshold(*before)


def test_a_worker_freezes_what_the_app_loaded_once_it_is_loaded(thresholds: tuple[int, int, int]) -> None:
    with mock.patch.object(gc, "freeze") as freeze:
        gunicorn_conf.post_worker_init(SimpleNamespace(pid=4242))
    freeze.assert_called_once_with()


def test_a_worker_collects_its_young_generation_after_more_than_a_request_holds(
        thresholds: tuple[int, int, int]) -> None:
    # given the interpreter's thresholds, when a worker has loaded the app
    with mock.patch.object(gc, "freeze"):
        gunicorn_conf.post_worker_init(SimpleNamespace(pid=4242))
    # then its young generation is collected after 10,000 containers, the older ones as before
    assert gc.get_threshold() == (10_000, *thresholds[1:])
