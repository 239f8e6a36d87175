"""What billing tells operations: payments recorded, as log lines (logger ``synthesq.events``) and Prometheus
counters, once their transaction commits. Metric values are floats by nature: amounts are exported in the
currency's major unit for dashboards, never used for money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from prometheus_client import Counter

from synthesq.observability.logs import business_log

PAYMENTS = Counter("synthesq_payments_total", "Payments recorded, by currency.", ["currency"])
PAYMENT_AMOUNTS = Counter(
    "synthesq_payments_amount_total", "Sum of the payments recorded, in the currency's major unit.", ["currency"]
)


def payment_recorded(*, payment_id: str, invoice_id: str, amount: Decimal, currency: str, payment_method: str,
                     invoice_status: str, actor_id: Any = None) -> None:
    invoice_status = str(invoice_status)

    def emit() -> None:
        business_log.info("payment_recorded", payment_id=payment_id, invoice_id=invoice_id, amount=str(amount),
                          currency=currency, payment_method=str(payment_method), invoice_status=invoice_status,
                          actor_id=actor_id)
        PAYMENTS.labels(currency=currency).inc()
        PAYMENT_AMOUNTS.labels(currency=currency).inc(float(amount))

    transaction.on_commit(emit)
