"""Installable: ``python -m build`` makes an sdist and a wheel that carry the templates (kept at the top of the
checkout) and ``pip install .`` gives an installed copy that finds them, collects the static files and passes
the deploy checklist, with no checkout in sight."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html"))


@pytest.fixture(autouse=True)
def leave_the_checkout_clean() -> Iterator[None]:
    """Building writes build/ and *.egg-info beside the sources; remove what these tests added."""
    before = {path for path in ROOT.iterdir() if path.name == "build" or path.name.endswith(".egg-info")}
    yield
    for path in ROOT.iterdir():
        if (path.name == "build" or path.name.endswith(".egg-info")) and path not in before:
            shutil.rmtree(path, ignore_errors=True)


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_build_makes_an_sdist_and_a_wheel_with_the_templates(tmp_path: Path) -> None:
    run(sys.executable, "-m", "build", "--outdir", tmp_path, ROOT, cwd=ROOT)
    [wheel] = tmp_path.glob("*.whl")
    [sdist] = tmp_path.glob("*.tar.gz")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert {f"synthesq/templates/{name}" for name in TEMPLATES} <= in_wheel
    assert {"manage.py", "gunicorn.conf.py"}.isdisjoint(in_wheel)
    assert not any(name.startswith(("tests/", "bench/")) for name in in_wheel)
    assert "synthesq/gunicorn_conf.py" in in_wheel and "sales/migrations/0001_initial.py" in in_wheel
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {f"templates/{name}" for name in TEMPLATES} <= in_sdist


def test_an_installed_copy_finds_its_templates_and_static_files(tmp_path: Path) -> None:
    # given `pip install .` into a new virtualenv (its dependencies borrowed from this one, to stay offline)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip())
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", ROOT, cwd=tmp_path)
    workdir = tmp_path / "elsewhere"  # not the checkout
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "PYTHONPATH"}}
    env |= {"DJANGO_SETTINGS_MODULE": "synthesq.settings.production", "SECRET_KEY": "installed-copy-" + "k" * 40,
            "ALLOWED_HOSTS": "sales.example.com", "STATIC_ROOT": str(tmp_path / "static"), "LOG_LEVEL": "WARNING"}
    # when it loads the templates the checkout keeps at its top
    code = ("import django, synthesq; django.setup(); from django.template.loader import get_template; "
            "print(synthesq.__file__); print(get_template('billing/invoice_print.html').origin.name); "
            "print(get_template('admin/sales/order/change_form.html').origin.name)")
    package, invoice, admin_override = run(python, "-c", code, cwd=workdir, env=env).split()
    # then they come from the installed package
    assert package.startswith(str(site))
    assert invoice == str(site / "synthesq" / "templates" / "billing" / "invoice_print.html")
    assert admin_override == str(site / "synthesq" / "templates" / "admin" / "sales" / "order" / "change_form.html")
    # and its command line (manage.py for an installed copy) passes the deploy checklist and collects static
    run(venv / "bin" / "synthesq-sales", "check", "--deploy", "--fail-level", "WARNING", cwd=workdir, env=env)
    run(python, "-m", "synthesq", "collectstatic", "--noinput", cwd=workdir, env=env)
    assert list((tmp_path / "static" / "admin" / "css").glob("base.*.css.gz"))
    assert (tmp_path / "static" / "staticfiles.json").exists()
