"""The back-office's shape, contributed by each app: sidebar sections, dashboard sections and their panels, and
the tabs of a change page. Core knows none of the apps: each app registers what it brings from its admin module
(``register_*`` below), and ``settings.UNFOLD`` points Unfold at the builders at the bottom of this module.

A later app adds itself in a few lines: a nav item (``nav_item``), a dashboard panel (``@dashboard_panel``), a
tab on another app's page (``page_tab``); no template or settings list names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, QueryDict
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class Figure:
    """One number on the dashboard, with the filtered list behind it (``url``)."""

    label: str
    value: str
    url: str | None = None
    hint: str = ""
    tone: str = ""  # "", "warning", "danger", "success"


@dataclass(frozen=True)
class Panel:
    """A card of figures, or a chart (``chart``: Chart.js data, ``chart_type`` "bar")."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    chart: dict[str, Any] | None = None
    chart_type: str = "bar"
    chart_options: dict[str, Any] | None = None
    note: str = ""
    wide: bool = False


PanelBuilder = Callable[[HttpRequest], Panel]


@dataclass
class _Section:
    key: str
    title: str
    permission: str
    order: int
    icon: str = ""
    panels: list[tuple[int, PanelBuilder]] = field(default_factory=list)


@dataclass(frozen=True)
class _NavItem:
    title: str
    url_name: str
    icon: str
    permission: str | None
    order: int
    query: str = ""


@dataclass
class _NavGroup:
    title: str
    order: int
    items: list[_NavItem] = field(default_factory=list)


@dataclass(frozen=True)
class _Tab:
    title: str
    slug: str
    order: int
    permission: str | None


_dashboard: dict[str, _Section] = {}
_navigation: dict[str, _NavGroup] = {}
_tabs: dict[str, list[_Tab]] = {}


# -- what apps call --------------------------------------------------------------------------------------------
def dashboard_section(key: str, *, title: str, permission: str, order: int, icon: str = "") -> None:
    """A role's part of the dashboard (shown to users holding ``permission``)."""
    section = _dashboard.get(key)
    if section is None:
        _dashboard[key] = _Section(key=key, title=title, permission=permission, order=order, icon=icon)
    else:
        section.title, section.permission, section.order, section.icon = title, permission, order, icon


def dashboard_panel(section: str, *, order: int) -> Callable[[PanelBuilder], PanelBuilder]:
    """Decorator: ``builder(request) -> Panel`` adds a panel to ``section`` (sections may be declared later)."""

    def register(builder: PanelBuilder) -> PanelBuilder:
        target = _dashboard.setdefault(section, _Section(key=section, title=section.title(), permission="",
                                                         order=100))
        target.panels = sorted([*(p for p in target.panels if p[1] is not builder), (order, builder)],
                               key=lambda item: item[0])
        return builder

    return register


def nav_group(title: str, *, order: int) -> None:
    _navigation.setdefault(title, _NavGroup(title=title, order=order)).order = order


def nav_item(group: str, *, title: str, url_name: str, icon: str, permission: str | None, order: int,
             query: str = "") -> None:
    """A sidebar link to an admin page (``url_name`` such as ``admin:app_model_changelist``), shown to users
    with ``permission``. ``query`` pre-filters the list ("status__exact=draft")."""
    target = _navigation.setdefault(group, _NavGroup(title=group, order=100))
    target.items = sorted([*(i for i in target.items if i.title != title),
                           _NavItem(title, url_name, icon, permission, order, query)], key=lambda i: i.order)


def page_tab(model_label: str, *, title: str, slug: str, order: int, permission: str | None = None) -> None:
    """A tab on the change page of ``model_label`` ("app.model"): ``slug`` is "general", an inline's prefix,
    or a fieldset declared with ``classes=["panel-<slug>"]``."""
    tabs = [tab for tab in _tabs.get(model_label, []) if tab.slug != slug]
    _tabs[model_label] = sorted([*tabs, _Tab(title, slug, order, permission)], key=lambda tab: tab.order)


def has_page_tabs(model_label: str) -> bool:
    return bool(_tabs.get(model_label))


# -- what Unfold calls (settings.UNFOLD) ----------------------------------------------------------------------
def _allowed(request: HttpRequest, permission: str | None) -> bool:
    return permission is None or request.user.has_perm(permission)


def _active_item(request: HttpRequest) -> _NavItem | None:
    """The sidebar item for this page: its list, and of the items on that list the one whose pre-filter the
    page's query matches most closely (so "To ship" is active, not "Orders", on ``?status__exact=processing``)."""
    asked = set(QueryDict(request.META.get("QUERY_STRING", "")).items())
    best: tuple[int, _NavItem] | None = None
    for group in _navigation.values():
        for item in group.items:
            wanted = set(QueryDict(item.query).items())
            if request.path.startswith(reverse(item.url_name)) and wanted <= asked \
                    and (best is None or len(wanted) > best[0]):
                best = (len(wanted), item)
    return best[1] if best else None


def sidebar_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    groups = []
    active = _active_item(request)
    for group in sorted(_navigation.values(), key=lambda g: g.order):
        items = [
            {"title": item.title, "icon": item.icon, "active": item is active,
             "link": reverse(item.url_name) + (f"?{item.query}" if item.query else "")}
            for item in group.items if _allowed(request, item.permission)
        ]
        if items:
            groups.append({"title": group.title, "separator": True, "collapsible": False, "items": items})
    return [{"title": "", "items": [{"title": "Dashboard", "icon": "dashboard", "link": reverse("admin:index")}]},
            *groups]


def _on_change_page(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.url_name and match.url_name.endswith("_change"))


def page_tabs(request: HttpRequest) -> list[dict[str, Any]]:
    def allowed(permission: str | None) -> Callable[[HttpRequest], bool]:
        return lambda req: _on_change_page(req) and _allowed(req, permission)

    return [
        {"models": [{"name": label, "detail": True}],
         "items": [{"title": tab.title, "inline": tab.slug, "link": lambda req: req.path,
                    "permission": allowed(tab.permission)} for tab in tabs]}
        for label, tabs in _tabs.items()
    ]


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """The admin home: the dashboard sections of the user's roles, each a row of panels."""
    sections = []
    for section in sorted(_dashboard.values(), key=lambda s: s.order):
        if section.permission and request.user.has_perm(section.permission):
            sections.append({"key": section.key, "title": section.title, "icon": section.icon,
                             "panels": [builder(request) for _order, builder in section.panels]})
    context.update({"dashboard": sections, "time_zone": timezone.get_current_timezone_name(),
                    "today": timezone.localdate()})
    return context


def account_links(request: HttpRequest) -> list[dict[str, str]]:
    return [{"title": f"Time zone: {timezone.get_current_timezone_name()}",
             "link": reverse("admin:core_staffpreferences_mine")}]


def stylesheet_url(request: HttpRequest) -> str:
    return static("backoffice/backoffice.css")


def script_url(request: HttpRequest) -> str:
    return static("backoffice/backoffice.js")


def per_request(request: HttpRequest, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per request (panels of several sections share a figure without a second query)."""
    cache: dict[str, Any] = request.__dict__.setdefault("_backoffice_figures", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]
