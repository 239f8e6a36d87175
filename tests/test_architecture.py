"""The shape of the code, kept: apps depend one way (billing → sales → inventory → integrations → core), no app reads a
higher app's fields, statuses or URLs behind the imports' back, the rules never reach up into the API or the
admin, django-fsm-2 is used through its public API only, and no module or function grows past what a reader
takes in at once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package and the packages it may import from (besides itself, Django and libraries).
LAYERS = {
    "synthesq": set(),
    "integrations": {"synthesq"},
    "taxes": {"synthesq"},
    "inventory": {"integrations", "taxes", "synthesq"},
    "sales": {"inventory", "taxes", "integrations", "synthesq"},
    "billing": {"sales", "inventory", "taxes", "integrations", "synthesq"},
}
# What a lower layer must not name in its code (identifiers, and strings that are names or paths such as
# "billing.view_invoice" or "admin:billing_invoice_change"; prose in messages and docstrings may).
HIGHER_NAMES = {
    "synthesq": {"integrations", "inventory", "sales", "billing", "invoice", "invoices", "payment", "payments"},
    "integrations": {"inventory", "sales", "billing", "invoice", "invoices", "payment", "payments", "customer",
                     "product", "stock"},
    "taxes": {"inventory", "sales", "billing", "invoice", "invoices", "payment", "payments"},
    "inventory": {"sales", "billing", "invoice", "invoices", "payment", "payments"},
    "sales": {"billing", "invoice", "invoices", "payment", "payments"},
}
# The project-level wiring (URLs, settings, API router) brings the apps together by design.
WIRING = {"synthesq/urls.py", "synthesq/api.py", "synthesq/settings/base.py", "synthesq/core/roles.py"}
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 50
# Identifiers a lower layer may use though they contain a higher word: the pricing engine's exception for a credit
# beyond what was invoiced (synthesq.core.pricing, named by its interface) is a figure's rule, not billing's field.
ALLOWED_IDENTIFIERS = {"CreditExceedsInvoice"}


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _all_sources() -> list[Path]:
    return [path for package in LAYERS for path in _sources(package)]


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _imported_packages(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


@pytest.mark.parametrize("package", list(LAYERS))
def test_apps_depend_one_way(package: str) -> None:
    wrong = {
        _rel(path): sorted(_imported_packages(ast.parse(path.read_text())) - LAYERS[package] - {package})
        for path in _sources(package) if _rel(path) not in WIRING
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def _code_words(tree: ast.AST) -> set[str]:
    """The words of the code's identifiers and of its name-like strings (no spaces), lower-cased."""
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not re.search(r"\s", node.value):
            text = node.value
        else:
            continue
        if text in ALLOWED_IDENTIFIERS:
            continue
        words |= set(re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower()))
    return words


@pytest.mark.parametrize("package", list(HIGHER_NAMES))
def test_no_app_reads_a_higher_app_behind_the_imports_back(package: str) -> None:
    leaks = {}
    for path in _sources(package):
        if _rel(path) in WIRING:
            continue
        named = sorted(_code_words(ast.parse(path.read_text())) & HIGHER_NAMES[package])
        if named:
            leaks[_rel(path)] = named
    assert leaks == {}


# The layers that face people and programs: the API, the admin, commands, URL wiring. The rules (models,
# services, selectors, representations, events, tasks) never reach up into them: events render through the
# app's ``representations.py``, as the API does.
INTERFACE_PARTS = {"api", "admin", "management", "templatetags"}
INTERFACE_MODULES = ("admin", "urls", "views", "api", "backoffice")


def _faces_users(parts: tuple[str, ...]) -> bool:
    return bool(set(parts) & INTERFACE_PARTS) or parts[-1].startswith(INTERFACE_MODULES)


def _imported_modules(path: Path, tree: ast.AST) -> set[str]:
    """Every module ``path`` imports (relative imports resolved), at any depth (lazy imports too)."""
    here = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = [*base, *(node.module.split(".") if node.module else [])]
            found |= {".".join(module)} if node.module else {".".join([*module, a.name]) for a in node.names}
    return found


def test_the_rules_never_reach_up_into_the_api_or_the_admin() -> None:
    reaching = {}
    for path in _all_sources():
        parts = path.relative_to(ROOT).with_suffix("").parts
        if _faces_users(parts) or _rel(path) in WIRING:
            continue
        up = sorted(module for module in _imported_modules(path, ast.parse(path.read_text()))
                    if module.split(".")[0] in LAYERS and _faces_users(tuple(module.split("."))))
        if up:
            reaching[_rel(path)] = up
    assert reaching == {}


def test_only_the_api_imports_the_api() -> None:
    """The API sits on top: nothing but another app's API (and the one router) imports an ``<app>.api`` module,
    neither the rules nor the admin nor commands."""
    importing = {}
    for path in _all_sources():
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "api" in parts or _rel(path) in WIRING:
            continue
        api = sorted(module for module in _imported_modules(path, ast.parse(path.read_text()))
                     if module.split(".")[0] in LAYERS and "api" in module.split(".")[1:2])
        if api:
            importing[_rel(path)] = api
    assert importing == {}


def test_django_fsm_is_used_through_its_public_api_only() -> None:
    private = [_rel(path) for path in _all_sources() if "_django_fsm" in path.read_text()]
    assert private == []


def test_no_module_or_function_is_too_long_to_read_at_once() -> None:
    too_long = []
    for path in _all_sources():
        source = path.read_text()
        if len(source.splitlines()) > MAX_FILE_LINES:
            too_long.append(f"{_rel(path)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{_rel(path)}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` and the modules of ``package`` it imports, at any depth (a lazy import is an
    import): ``from . import x`` and ``from package import x`` name module ``x`` when it is one."""
    modules = {_module_name(path): path for path in _sources(package)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        named = _imported_modules(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                named |= {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = {module for module in named if module in modules and module != name}
    return graph


def _a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (its modules in import order, the first repeated at the end), or []."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module):], module]
        if module in done:
            return []
        for imported in sorted(graph[module]):
            cycle = visit(imported, [*path, module])
            if cycle:
                return cycle
        done.add(module)
        return []

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return []


@pytest.mark.parametrize("package", ["integrations"])
def test_imports_inside_a_package_run_one_way(package: str) -> None:
    # the tasks call the services, the services publish and enqueue by task name: no module imports one that
    # imports it back, not even through a lazy import inside a function
    assert _a_cycle(_import_graph(package)) == []


def test_an_import_cycle_is_found() -> None:
    graph = {"a.events": {"a.tasks"}, "a.tasks": {"a.services"}, "a.services": {"a.events"}, "a.models": set()}
    assert _a_cycle(graph) == ["a.events", "a.tasks", "a.services", "a.events"]
    assert _a_cycle({**graph, "a.services": {"a.models"}}) == []


# Where SQL is written by hand: the PostgreSQL-only statements with their fallbacks (batches in ``postgres``, a
# document with its parts or a row with its history row in ``postgres_documents``, a counter raised within its
# limit in ``postgres_counts``, all sending rows as
# ``postgres_rows`` describes: an array per column, a JSON column as one document), the throttling buckets'
# one upsert (its vendor difference, GREATEST or MAX, inside it), the counters' portable UPDATE … RETURNING and
# the bearer token's lookup (one statement written once per connection from the models' columns), and the
# compiled queries (the ORM's own SQL, compiled once per shape and run again with new values); and the PostgreSQL
# engine itself (``synthesq/db/postgresql``: it makes the cursors, with psycopg's timestamp loader).
RAW_SQL_MODULES = {"synthesq/core/postgres.py", "synthesq/core/throttling.py", "synthesq/core/sequences.py",
                   "synthesq/core/authentication.py", "synthesq/core/compiled.py",
                   "synthesq/core/postgres_documents.py", "synthesq/core/postgres_rows.py",
                   "synthesq/core/postgres_counts.py",
                   "synthesq/db/postgresql/base.py"}


def test_vendor_specific_sql_stays_in_one_place() -> None:
    elsewhere = [_rel(path) for path in _all_sources() if _rel(path) not in RAW_SQL_MODULES
                 and re.search(r"connection\.vendor|\.cursor\(\)", path.read_text())]
    assert elsewhere == []
