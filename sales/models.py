from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.db.models.functions import Lower
from django.utils import timezone
from django_fsm import FSMField, transition

from synthesq.core.fsm import ConcurrentTransitions
from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import HistoryEvent, TimeStampedModel, set_prefetched
from synthesq.core.money import CurrencyField, MoneyField

from .history import ORDER_HISTORY_KEYS
from .pricing_models import CustomerPriceList, OrderDiscounts, OrderLineDiscounts


class Customer(CustomerPriceList, TimeStampedModel):
    id = PrefixedIdField(prefix="cust")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=32, blank=True)
    default_shipping_address = models.JSONField(
        null=True, blank=True, help_text="line1, line2, city, state, postal_code, country (ISO 3166 alpha-2)"
    )
    tax_id = models.CharField("tax id", max_length=64, blank=True, help_text="VAT number or the like.")
    tax_exempt = models.BooleanField(default=False, help_text="Pays no tax on new orders.")
    tax_exempt_reason = models.CharField(max_length=255, blank=True, help_text="Required when exempt (printed).")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(tax_exempt=False) | ~Q(tax_exempt_reason=""),
                                   name="customer_exempt_has_reason"),
        ]
        indexes = [
            models.Index(Lower("email"), name="customer_email_lower"),
            models.Index(Lower("name"), name="customer_name_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CONFIRMED = "confirmed", "Confirmed"
    PROCESSING = "processing", "Processing"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class FulfilmentStatus(models.TextChoices):
    """How far an order's goods have gone (``sales.services.shipments``): nothing shipped yet, some units
    shipped, every unit shipped (some parcels still on their way), every parcel delivered."""

    UNFULFILLED = "unfulfilled", "Unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"


def _not_on_hold(order: models.Model) -> bool:
    """Transition condition (django-fsm types conditions on ``Model``), also asked of an order read as a row
    (``sales.selectors.OrderRead``: the same fields) for its allowed statuses."""
    return not order.on_hold  # type: ignore[attr-defined]


class Order(ConcurrentTransitions, OrderDiscounts, TimeStampedModel):
    """A sales order. ``status`` changes only through the transition methods below, each called by its
    service in ``sales.services`` (which locks the row, checks permission, applies side effects such as
    stock reservation, saves and writes the history row). Transition bodies set only their own fields."""

    Status = OrderStatus

    id = PrefixedIdField(prefix="ord")
    order_number = models.CharField(max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    currency = CurrencyField()
    status = FSMField(default=OrderStatus.DRAFT, choices=OrderStatus.choices, protected=True, db_index=True)
    fulfilment_status = models.CharField(max_length=20, choices=FulfilmentStatus.choices,
                                         default=FulfilmentStatus.UNFULFILLED, editable=False)
    shipping_address = models.JSONField()
    subtotal = MoneyField(default=0, help_text="Net of the lines.")
    charges_total = MoneyField(default=0, help_text="Net of the charges.")
    tax_total = MoneyField(default=0)
    total = MoneyField(default=0, help_text="Gross: what a payment of the whole must be.")
    charges = models.JSONField(default=list, blank=True, help_text="Shipping, handling and other charges, priced.")
    taxes = models.JSONField(default=list, blank=True, help_text="One row per rate used: name, rate, country, "
                             "region, taxable_amount, tax_amount (the rates copied at pricing).")
    prices_include_tax = models.BooleanField(default=False)
    tax_rounding = models.CharField(max_length=8, default="line")
    tax_exempt_reason = models.CharField(max_length=255, blank=True, help_text="Why no tax (an exempt customer).")
    tracking_number = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(max_length=64, blank=True)
    cancellation_reason = models.CharField(max_length=255, blank=True)
    on_hold = models.BooleanField(default=False, help_text="Disputed: cannot be closed while on hold.")
    hold_reason = models.CharField(max_length=255, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    processing_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("confirm_order", "Can confirm orders"),
            ("process_order", "Can mark orders processing"),
            ("ship_order", "Can ship orders"),
            ("deliver_order", "Can mark orders delivered"),
            ("close_order", "Can close orders"),
            ("cancel_order", "Can cancel orders"),
            ("amend_order", "Can amend confirmed orders"),
            ("hold_order", "Can put orders on hold and release them"),
            ("waive_return_window", "Can close orders before their return window has passed"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            models.Index(fields=["customer", "created_at"], name="order_customer_created"),
            models.Index(fields=["total", "id"], name="order_total_id"),
            models.Index(fields=["customer", "promotion_code"], name="order_customer_code_uses",
                         condition=~Q(status__in=["draft", "cancelled"])),
            # What the batch close claims: delivered, not on hold, oldest delivery first.
            models.Index(fields=["delivered_at", "id"], name="order_closable",
                         condition=Q(status="delivered", on_hold=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=~Q(status__in=["delivered", "closed"]) | Q(delivered_at__isnull=False),
                name="order_delivered_has_delivered_at",
            ),
        ]

    def __str__(self) -> str:
        return self.order_number

    def return_window_ends_at(self, *, return_window_days: int | None = None) -> datetime | None:
        """When a delivered order's return window ends (``ORDER_RETURN_WINDOW_DAYS`` after delivery); from then
        on it may be closed. None before delivery."""
        if self.delivered_at is None:
            return None
        days = settings.ORDER_RETURN_WINDOW_DAYS if return_window_days is None else return_window_days
        return self.delivered_at + timedelta(days=days)

    @property
    def status_allows_hold(self) -> bool:
        """An order can be put on hold until it is closed or cancelled."""
        return self.status not in (OrderStatus.CLOSED, OrderStatus.CANCELLED)

    @property
    def may_be_held(self) -> bool:
        """A hold can be put on the order now: its status allows one and none is on it yet."""
        return self.status_allows_hold and not self.on_hold

    def clear_hold(self) -> None:
        """End the hold (its fields only: the caller saves and records it)."""
        self.on_hold, self.hold_reason, self.held_at, self.held_by = False, "", None, None

    @transition(field=status, source=OrderStatus.DRAFT, target=OrderStatus.CONFIRMED,
                permission="sales.confirm_order")
    def confirm(self) -> None:
        self.confirmed_at = timezone.now()

    @transition(field=status, source=OrderStatus.CONFIRMED, target=OrderStatus.PROCESSING,
                permission="sales.process_order")
    def start_processing(self) -> None:
        self.processing_at = timezone.now()

    @transition(field=status, source=OrderStatus.PROCESSING, target=OrderStatus.SHIPPED,
                permission="sales.ship_order")
    def ship(self, *, tracking_number: str, carrier: str) -> None:
        self.tracking_number = tracking_number
        self.carrier = carrier
        self.shipped_at = timezone.now()

    @transition(field=status, source=OrderStatus.SHIPPED, target=OrderStatus.DELIVERED,
                permission="sales.deliver_order")
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(field=status, source=OrderStatus.DELIVERED, target=OrderStatus.CLOSED,
                conditions=[_not_on_hold], permission="sales.close_order")
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=status, source=[OrderStatus.DRAFT, OrderStatus.CONFIRMED], target=OrderStatus.CANCELLED,
                permission="sales.cancel_order")
    def cancel(self, *, reason: str = "") -> None:
        self.cancellation_reason = reason
        self.cancelled_at = timezone.now()


class OrderLine(OrderLineDiscounts, models.Model):
    """A line of an order. Product sku and name are snapshots: later catalogue edits do not change it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    line_total = MoneyField(help_text="Quantity times unit price, as entered (gross when prices include tax).")
    tax_class = models.CharField(max_length=32, default="standard")
    tax_rate = models.DecimalField(max_digits=9, decimal_places=4, default=0, help_text="The summed percent.")
    net_amount = MoneyField(default=0)
    tax_amount = MoneyField(default=0)
    gross_amount = MoneyField(default=0)
    taxes = models.JSONField(default=list, blank=True, help_text="The tax per rate: name, rate, country, region, "
                             "tax_amount.")

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orderline_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_unit_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"  # noqa: RUF001 (the multiplication sign is meant)


def with_lines(order: Order, *, reload: bool = False) -> Order:
    """Load the order's lines once (in position order); later ``order.lines.all()`` reads them from memory.
    ``reload`` after the lines were replaced."""
    if reload:
        getattr(order, "_prefetched_objects_cache", {}).pop("lines", None)
    prefetch_related_objects([order], Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
    return order


def set_lines(order: Order, lines: list[OrderLine]) -> Order:
    """Give the order the lines it has in memory (just written, or read with its lock), in position order."""
    for line in lines:
        line.order = order
    set_prefetched(order, "lines", sorted(lines, key=lambda line: line.position))
    return order


class OrderEvent(HistoryEvent):
    """The order's history: creation, draft edits, holds and every status change, with who and why."""

    subject_field = "order"
    data_keys = ORDER_HISTORY_KEYS

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Draft updated"
        STATUS_CHANGED = "status_changed", "Status changed"
        HELD = "held", "Put on hold"
        HOLD_RELEASED = "hold_released", "Hold released"
        AMENDED = "amended", "Amended"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["order", "id"], name="orderevent_order_id")]


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received"
    CREDITED = "credited", "Credited"
    REJECTED = "rejected", "Rejected"


# Returns in these statuses claim their quantities (a rejected return gives them back).
RETURN_CLAIMING_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED, ReturnStatus.CREDITED)


def return_claims(status: str) -> bool:
    """A return in ``status`` claims its lines' quantities of the order's lines (a rejected one gives them back)."""
    return status in RETURN_CLAIMING_STATUSES

# Returns in these statuses keep their order from closing.
RETURN_OPEN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)


class Return(ConcurrentTransitions, TimeStampedModel):
    """Goods a customer sends back from a delivered order (an RMA). ``status`` changes only through the
    transition methods below, each called by its service in ``sales.services.returns`` (which locks the order
    then the return, checks permission, restocks or asks billing for the credit note, saves and writes the
    history row). Transition bodies set only their own fields."""

    Status = ReturnStatus

    id = PrefixedIdField(prefix="ret")
    return_number = models.CharField(max_length=32, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    status = FSMField(default=ReturnStatus.REQUESTED, choices=ReturnStatus.choices, protected=True, db_index=True)
    reason = models.CharField(max_length=255, blank=True)
    rejection_reason = models.CharField(max_length=255, blank=True)
    return_window_waived = models.BooleanField(
        default=False, help_text="Requested after the return window, which finance waived."
    )
    currency = CurrencyField()
    value = MoneyField(default=0, help_text="Sum of the line totals, at the order's prices.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("receive_return", "Can receive returned goods"),
            ("credit_return", "Can credit returns"),
            ("reject_return", "Can reject returns"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="return_status_created"),
            models.Index(fields=["order", "status"], name="return_order_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="return_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.return_number

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.RECEIVED,
                permission="sales.receive_return")
    def receive(self) -> None:
        self.received_at = timezone.now()

    @transition(field=status, source=ReturnStatus.RECEIVED, target=ReturnStatus.CREDITED,
                permission="sales.credit_return")
    def credit(self) -> None:
        self.credited_at = timezone.now()

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.REJECTED,
                permission="sales.reject_return")
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason
        self.rejected_at = timezone.now()


class ReturnLine(models.Model):
    """A line of a return: which order line, how many, at the order line's unit price, and whether the
    goods go back into stock when received."""

    # Django refuses field names ending in "_", so the return is ``sales_return`` (``return`` is a keyword).
    sales_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    line_total = MoneyField()
    restock = models.BooleanField(default=True, help_text="Back into stock when received.")

    class Meta:
        ordering = ["sales_return", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sales_return", "position"], name="returnline_position_unique"),
            models.UniqueConstraint(fields=["sales_return", "order_line"], name="returnline_order_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="returnline_unit_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line.sku} × {self.quantity}"  # noqa: RUF001 (the multiplication sign is meant)


def return_with_lines(return_: Return, *, reload: bool = False) -> Return:
    """Load the return's lines (with their order lines) once, in position order."""
    if reload:
        getattr(return_, "_prefetched_objects_cache", {}).pop("lines", None)
    prefetch_related_objects(
        [return_], Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").order_by("position"))
    )
    return return_


# Allocations, shipments, returns' history live in their own modules (this one is at its size limit); imported
# here so Django finds them and ``sales.models`` names every model.
from .allocation_models import OrderLineAllocation as OrderLineAllocation  # noqa: E402
from .return_models import ReturnEvent as ReturnEvent  # noqa: E402
from .shipment_models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus  # noqa: E402, F401
