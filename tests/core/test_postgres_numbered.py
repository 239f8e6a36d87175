"""``synthesq.core.postgres.insert_numbered`` with ``first``: a counter raised within its limit in the same
statement as the numbered rows, before their block is taken (PostgreSQL), or just before it (elsewhere)."""

from __future__ import annotations

import pytest
from django.db import transaction

from integrations.models import Event
from sales.pricing_models import PromotionCode
from synthesq.core.models import Sequence as Counter
from synthesq.core.postgres import insert_numbered
from synthesq.core.postgres_counts import Increment
from tests.factories.pricing import PromotionCodeFactory

pytestmark = pytest.mark.django_db

COUNTER = "numbered_test"


class _AtLimit(Exception):
    pass


def _use_of(code: PromotionCode) -> Increment:
    return Increment(PromotionCode, code.pk, field="times_used", limit="usage_limit", refused=_AtLimit)


def _events(count: int) -> list[Event]:
    return [Event(type="ping", object_id=f"obj_{index}", data={"object": {}}) for index in range(count)]


def test_the_rows_are_numbered_and_the_use_counted_once() -> None:
    # given a code with two uses left and a counter at 40
    code = PromotionCodeFactory(usage_limit=2, times_used=0)
    Counter.objects.create(name=COUNTER, value=40)
    # when two rows are numbered with the code's use counted first
    rows = _events(2)
    insert_numbered(rows, number_field="sequence", counter=COUNTER, first=_use_of(code))
    # then the rows hold the next two numbers, the counter moved by two and the code by one
    assert [row.sequence for row in rows] == [41, 42]
    assert list(Event.objects.filter(pk__in=[row.pk for row in rows]).order_by("sequence")
                .values_list("sequence", flat=True)) == [41, 42]
    assert Counter.objects.get(name=COUNTER).value == 42
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1


def test_at_its_limit_the_use_is_refused_and_the_caller_writes_nothing() -> None:
    # given a code used up and a counter at 7
    code = PromotionCodeFactory(usage_limit=1, times_used=1)
    Counter.objects.create(name=COUNTER, value=7)
    # when rows are numbered with its use first, in the caller's transaction
    with pytest.raises(_AtLimit), transaction.atomic():
        insert_numbered(_events(1), number_field="sequence", counter=COUNTER, first=_use_of(code))
    # then the refusal rolled everything back: no row, the counter and the code as they were
    assert not Event.objects.filter(type="ping").exists()
    assert Counter.objects.get(name=COUNTER).value == 7
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1


def test_the_counters_first_use_counts_the_increment_once() -> None:
    # given no counter yet (its first use makes it, and the statement runs again)
    code = PromotionCodeFactory(usage_limit=None, times_used=3)
    Counter.objects.filter(name=COUNTER).delete()
    # when a row is numbered with the code's use first
    rows = _events(1)
    insert_numbered(rows, number_field="sequence", counter=COUNTER, first=_use_of(code))
    # then it is number 1 and the code was counted once, not once per run of the statement
    assert rows[0].sequence == 1
    assert PromotionCode.objects.get(pk=code.pk).times_used == 4
