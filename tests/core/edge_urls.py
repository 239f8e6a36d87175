"""URLs for tests/core/test_edges.py: Django views under /api/ that fail the way Django fails outside DRF."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def csrf_protected(request: HttpRequest) -> HttpResponse:  # not csrf_exempt: Django's CSRF check applies
    return HttpResponse("posted")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("an unhandled error")


urlpatterns = [
    path("api/v1/csrf-protected", csrf_protected),
    path("api/v1/boom", boom),
    path("", include("synthesq.urls")),
]

handler400 = "synthesq.core.problems.api_aware_400"
handler403 = "synthesq.core.problems.api_aware_403"
handler404 = "synthesq.core.problems.api_aware_404"
handler500 = "synthesq.core.problems.api_aware_500"
