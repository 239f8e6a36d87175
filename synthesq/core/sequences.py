"""Gap-free numbering from locked counter rows (never ``max() + 1``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .models import Sequence


def sequence_next(name: str) -> int:
    """The next value of counter ``name``. Must run inside the transaction that uses the number: the
    counter row stays locked until it commits (no duplicates) or rolls back (the number is reused, no gap).
    """
    return sequence_reserve_block(name, 1)


def sequence_reserve_block(name: str, count: int) -> int:
    """Reserve ``count`` consecutive values in one locked step; returns the first. For batch numbering."""
    if count < 1:
        raise ValueError("count must be positive")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequences must be used inside the transaction that uses the numbers")
    Sequence.objects.bulk_create([Sequence(name=name, value=0)], ignore_conflicts=True)
    Sequence.objects.filter(name=name).update(value=F("value") + count)
    return Sequence.objects.values_list("value", flat=True).get(name=name) - count + 1
