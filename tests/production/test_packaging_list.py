"""Every Python package of the checkout is shipped: ``pyproject.toml`` lists packages explicitly (the flat layout
has several top-level ones), so a new package that is not listed would be missing from an installed copy."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_ROOTS = ("synthesq", "taxes", "inventory", "sales", "billing", "integrations")


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for root in SHIPPED_ROOTS if (ROOT / root).is_dir()
        for path in (ROOT / root).rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == {"synthesq.templates"}
