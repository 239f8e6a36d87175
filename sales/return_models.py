"""A return's history (registered from ``sales.models``, which is at its size limit)."""

from __future__ import annotations

from django.db import models

from synthesq.core.models import HistoryEvent

from .history import RETURN_HISTORY_KEYS
from .models import Return


class ReturnEvent(HistoryEvent):
    """The return's history: the request, and every status change, with who and why."""

    subject_field = "sales_return"
    data_keys = RETURN_HISTORY_KEYS

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Requested"
        STATUS_CHANGED = "status_changed", "Status changed"

    sales_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)

    class Meta:
        ordering = ["sales_return", "id"]
        indexes = [models.Index(fields=["sales_return", "id"], name="returnevent_return_id")]
