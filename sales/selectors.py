"""Reads for the sales app."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Customer


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.order_by("-id")
