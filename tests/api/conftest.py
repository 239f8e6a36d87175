"""The client generated from the served schema, shared by the generated-client stories."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PACKAGE = "synthesq_client"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client_package(live_server: Any, tmp_path_factory: pytest.TempPathFactory,
                   django_db_blocker: Any) -> Iterator[ModuleType]:
    """The client generated from the schema the live server serves (the server's request handling touches the
    database connection, so it is unblocked while the generator reads the schema)."""
    workdir = tmp_path_factory.mktemp("generated-client")
    config = ROOT / "openapi-python-client.yaml"  # the configuration the README gives newcomers
    generator = Path(sys.executable).parent / "openapi-python-client"
    with django_db_blocker.unblock():
        result = _generate(generator, live_server.url, config, workdir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _generate(generator: Path, base_url: str, config: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(generator), "generate", "--url", f"{base_url}/api/v1/schema/?format=json", "--meta", "none",
         "--config", str(config), "--output-path", str(workdir / PACKAGE), "--fail-on-warning"],
        cwd=workdir, capture_output=True, text=True, timeout=300, check=False,
    )
