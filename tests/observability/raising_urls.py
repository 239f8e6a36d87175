"""A URLconf with a view that fails, for the error-report test (``test_sentry``)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom for the error report")


urlpatterns = [path("boom", boom)]
