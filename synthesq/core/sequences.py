"""Gap-free numbering from locked counter rows (never ``max() + 1``)."""

from __future__ import annotations

from django.db import transaction

from .models import Sequence


def sequence_next(name: str) -> int:
    """The next value of counter ``name``. Must run inside the transaction that uses the number: the
    counter row stays locked until it commits (no duplicates) or rolls back (the number is reused, no gap).
    """
    return sequence_reserve_block(name, 1)


def sequence_reserve_block(name: str, count: int) -> int:
    """Reserve ``count`` consecutive values in one locked step; returns the first. For batch numbering.

    One statement once the counter exists (``UPDATE … RETURNING``, PostgreSQL and SQLite ≥ 3.35); the row
    stays locked until the caller's transaction ends."""
    if count < 1:
        raise ValueError("count must be positive")
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("sequences must be used inside the transaction that uses the numbers")
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(f"UPDATE {table} SET value = value + %s WHERE name = %s RETURNING value", [count, name])
            row = cursor.fetchone()
            if row is not None:
                return int(row[0]) - count + 1
            # A new counter: create it (a concurrent creator wins harmlessly), then take the block.
            Sequence.objects.bulk_create([Sequence(name=name, value=0)], ignore_conflicts=True)
    raise RuntimeError(f"sequence {name!r} could not be created")
