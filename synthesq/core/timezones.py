"""Each staff member reads dates in their own time zone, to the minute.

The time zone is a per-user preference kept on the server (``StaffPreferences.time_zone``), as ERPs do (a
user's profile time zone), rather than guessed from the browser: the same person sees the same times on every
device, and what the server renders for them (the dashboard's "today", date filters, PDFs) agrees with what the
page shows. Without a preference, ``STAFF_DEFAULT_TIME_ZONE`` applies (the company's, ``TIME_ZONE`` by default).
The choice is cached in the session, so a page costs no extra query; the API keeps answering in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "staff_time_zone"


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def default_time_zone() -> str:
    return str(settings.STAFF_DEFAULT_TIME_ZONE)


def staff_time_zone(request: HttpRequest) -> str:
    """The signed-in staff member's time zone (cached in the session)."""
    cached = request.session.get(SESSION_KEY)
    if cached:
        return str(cached)
    from .models import StaffPreferences

    chosen = StaffPreferences.objects.filter(user_id=str(request.user.pk)).values_list("time_zone", flat=True).first()
    name = chosen if chosen and is_time_zone(chosen) else default_time_zone()
    request.session[SESSION_KEY] = name
    return name


def remember_time_zone(request: HttpRequest, name: str) -> None:
    request.session[SESSION_KEY] = name
    timezone.activate(ZoneInfo(name))


class StaffTimeZoneMiddleware:
    """Activates the staff member's time zone on back-office pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff \
                and request.path.startswith(reverse("admin:index")):
            timezone.activate(ZoneInfo(staff_time_zone(request)))
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()
        return self.get_response(request)
