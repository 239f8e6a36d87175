"""Domain events of the sales app. Receivers run inside the transaction of the change (so a receiver that
raises a ``DomainError`` refuses the whole change); work outside the database belongs in
``transaction.on_commit``."""

from django.dispatch import Signal

# Sent after an order changed status and its history row was written.
# Arguments: order, from_status, to_status, actor, event (the OrderEvent row).
order_status_changed = Signal()

# Sent by the batch close (close_delivered_orders) once per chunk of orders closed in bulk, inside the
# chunk's transaction, instead of one order_status_changed per order. Arguments: order_ids, closed_at, actor,
# and effects: a Counter in which followers report what they did, by name, for the run's report (billing adds
# "invoices_issued"). Receivers' return values are ignored.
orders_closed = Signal()

# Sent by return_request inside its transaction, once the return and its lines are written (before its history
# row). Arguments: return_ (lines loaded; return_.order is the locked order), actor. Billing's receiver refuses a
# return it could never credit (no invoice, a void one, or less left to credit than the order's open returns
# are worth): a DomainError it raises refuses the request, so a received return always has its way to credited.
return_requested = Signal()

# Sent by return_credit inside its transaction, after the return became credited and its history row was
# written. Arguments: return_ (the locked Return, lines loaded), actor. Billing's receiver issues the credit
# note; a DomainError it raises refuses the whole change.
return_credited = Signal()
