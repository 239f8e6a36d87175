"""What gunicorn's master runs before a node serves (``prepare_to_serve``): it collects the static files only when
they changed (collecting everything takes a minute or two, and used to run at every start), counts a collect made
at build or install time, and refuses to serve without what a node needs, naming it. (Real gunicorn starts:
test_serving.py, test_wheel.py.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A node whose static files are one stylesheet (collecting the apps' thousand files would take a minute),
    collected into an empty STATIC_ROOT by the production storage (hashed names, a manifest)."""
    sources, root = tmp_path / "sources", tmp_path / "static"
    sources.mkdir()
    (sources / "site.css").write_text("body { color: black; }\n")
    monkeypatch.setenv("DATABASE_URL", "postgres://set-for-the-check")
    with override_settings(STATICFILES_DIRS=[str(sources)], STATIC_ROOT=str(root), STORAGES=MANIFEST_STORAGES,
                           STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
                           ALLOWED_HOSTS=["sales.example.com"], DEBUG=False):
        yield sources, root


def prepare(*args: str) -> str:
    out = StringIO()
    call_command("prepare_to_serve", *args, stdout=out)
    return out.getvalue()


def test_static_files_are_collected_only_when_they_changed(static: tuple[Path, Path]) -> None:
    sources, root = static
    # given a first start: nothing collected yet
    assert "static files collected" in prepare()
    manifest = root / "staticfiles.json"
    first = manifest.stat().st_mtime_ns
    [hashed] = root.glob("site.*.css")
    # when the node starts again with the same files: nothing is collected again
    assert "static files unchanged since they were collected" in prepare()
    assert manifest.stat().st_mtime_ns == first
    # when a file changes (a new release): it is collected again, under its new hashed name
    (sources / "site.css").write_text("body { color: navy; }\n")
    assert "static files collected" in prepare()
    assert manifest.stat().st_mtime_ns > first
    assert {path.name for path in root.glob("site.*.css")} - {hashed.name}


def test_a_collect_made_at_install_time_counts(static: tuple[Path, Path]) -> None:
    sources, root = static
    # given a node that collected once, then a release whose files the operator collected by hand at install time
    prepare()
    (sources / "site.css").write_text("body { color: teal; }\n")
    os.utime(sources / "site.css", ns=(1, 1))  # (even a file whose time is older than the collect)
    call_command("collectstatic", interactive=False, verbosity=0)
    collected = (root / "staticfiles.json").stat().st_mtime_ns
    # when the node starts: the hand-made collect is newer than every file and than the last fingerprint
    assert "static files unchanged since they were collected" in prepare()
    assert (root / "staticfiles.json").stat().st_mtime_ns == collected
    # and a change after it is still seen (by its size, whatever its time)
    (sources / "site.css").write_text("body { color: maroon; background: white; }\n")
    os.utime(sources / "site.css", ns=(1, 1))
    assert "static files collected" in prepare()


def test_a_node_told_not_to_collect_refuses_to_serve_without_collected_files(static: tuple[Path, Path]) -> None:
    _sources, root = static
    with pytest.raises(CommandError, match=r"no static files collected in STATIC_ROOT .*COLLECTSTATIC_AT_START=0"):
        prepare("--no-collectstatic")
    call_command("collectstatic", interactive=False, verbosity=0)
    assert "static files collected beforehand" in prepare("--no-collectstatic")
    assert not (root / ".collected-from").exists()


def test_a_node_refuses_to_serve_without_allowed_hosts_or_a_database_url(
        static: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    with override_settings(ALLOWED_HOSTS=[]), pytest.raises(CommandError, match="ALLOWED_HOSTS is not set"):
        prepare()
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(CommandError, match="DATABASE_URL is not set"):
        prepare()
    # (nothing was collected before the refusal)
    assert not static[1].exists()
