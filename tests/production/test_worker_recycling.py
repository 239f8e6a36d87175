"""Worker recycling (synthesq.gunicorn_conf): a memory guard instead of a request count, so a busy node does not
re-import Django every few seconds (issue 25)."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest

from tests.helpers import gunicorn_configuration

gunicorn_conf = gunicorn_configuration()


def _worker() -> SimpleNamespace:
    return SimpleNamespace(alive=True, pid=4242, log=mock.Mock())


def test_no_request_count_recycles_workers_by_default() -> None:
    assert gunicorn_conf.max_requests == 0 and gunicorn_conf.MAX_WORKER_MEMORY_MB > 0


@pytest.mark.parametrize(("memory_mb", "replaced"), [(120.0, False), (900.0, True)])
def test_a_worker_over_the_memory_limit_is_replaced_after_the_request_that_finds_it(
        monkeypatch: pytest.MonkeyPatch, memory_mb: float, replaced: bool) -> None:
    # given a worker using memory_mb, the guard at 300 MB checked every 100 requests
    monkeypatch.setattr(gunicorn_conf, "MAX_WORKER_MEMORY_MB", 300)
    monkeypatch.setattr(gunicorn_conf, "resident_memory_mb", lambda: memory_mb)
    worker = _worker()
    # when it serves 99 requests, it keeps serving whatever its size (the memory is not read yet)
    for _ in range(99):
        gunicorn_conf.post_request(worker, None, {}, None)
    assert worker.alive
    # then the 100th request reads it: over the limit, the worker stops taking requests (the master replaces it)
    gunicorn_conf.post_request(worker, None, {}, None)
    assert worker.alive is not replaced
    assert worker.log.info.called is replaced


def test_the_resident_memory_is_read_from_the_process() -> None:
    assert 5 < gunicorn_conf.resident_memory_mb() < 4096
