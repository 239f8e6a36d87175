from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Case, F, Q, Value, When
from django.utils import timezone
from django_fsm import FSMField, transition

from synthesq.core.fsm import ConcurrentTransitions
from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import HistoryEvent, TimeStampedModel
from synthesq.core.money import CurrencyField, MoneyField, format_money, quantize

from .history import INVOICE_HISTORY_KEYS


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


# Payments can be recorded on invoices in these statuses (``Invoice.payable``).
PAYABLE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)


# Transition conditions receive the model instance (django-fsm types them on ``Model``).
def _nothing_paid(invoice: models.Model) -> bool:
    """Nothing paid and nothing credited: a credited invoice stays, corrected by its credit notes."""
    assert isinstance(invoice, Invoice)
    return not invoice.has_payments and not invoice.has_credit


def _fully_paid(invoice: models.Model) -> bool:
    """Nothing is due any more: payments (less refunds) and credit notes together cover the total."""
    assert isinstance(invoice, Invoice)
    return invoice.amount_paid - invoice.amount_refunded + invoice.amount_credited >= invoice.total


# Days overdue per ageing bucket: (more than, at most); receivables are also "current" (not yet due).
AGEING_BUCKETS: dict[str, tuple[int, int | None]] = {"0-30": (0, 30), "31-60": (30, 60), "61-90": (60, 90),
                                                     "90+": (90, None)}


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    """"Overdue" is stated once, here: issued (not paid, not void) and past its due date."""

    @staticmethod
    def overdue_condition(now: datetime | None = None) -> Q:
        return Q(status=InvoiceStatus.ISSUED, due_at__lt=now or timezone.now())

    @staticmethod
    def is_overdue(invoice: Invoice, now: datetime | None = None) -> bool:
        """``overdue_condition`` for an invoice in memory (the same rule, for one a service has just changed)."""
        return (invoice.status == InvoiceStatus.ISSUED and invoice.due_at is not None
                and invoice.due_at < (now or timezone.now()))

    def overdue(self, now: datetime | None = None) -> InvoiceQuerySet:
        return self.filter(self.overdue_condition(now))

    def not_overdue(self, now: datetime | None = None) -> InvoiceQuerySet:
        return self.exclude(self.overdue_condition(now))

    @staticmethod
    def ageing_condition(bucket: str, now: datetime | None = None) -> Q:
        """Issued invoices in an ageing bucket: "current" (not yet due) or days overdue "0-30", "31-60",
        "61-90", "90+" (an invoice 30 days and an hour overdue is in "31-60")."""
        now = now or timezone.now()
        if bucket == "current":
            return Q(status=InvoiceStatus.ISSUED) & (Q(due_at__gte=now) | Q(due_at__isnull=True))
        low, high = AGEING_BUCKETS[bucket]
        condition = InvoiceQuerySet.overdue_condition(now)
        if low:
            condition &= Q(due_at__lt=now - timedelta(days=low))
        if high is not None:
            condition &= Q(due_at__gte=now - timedelta(days=high))
        return condition

    def ageing(self, bucket: str, now: datetime | None = None) -> InvoiceQuerySet:
        return self.filter(self.ageing_condition(bucket, now))

    def with_overdue(self, now: datetime | None = None) -> InvoiceQuerySet:
        """Annotates ``is_overdue`` (what lists and detail reads show)."""
        return self.annotate(is_overdue=Case(
            When(self.overdue_condition(now), then=Value(True)), default=Value(False), output_field=BooleanField()
        ))


class Invoice(ConcurrentTransitions, TimeStampedModel):
    """The invoice of an order: a snapshot of customer, lines and totals taken at confirmation, which later
    catalogue or customer edits do not change. ``status`` changes only through ``billing.services``."""

    Status = InvoiceStatus

    id = PrefixedIdField(prefix="inv")
    order = models.OneToOneField("sales.Order", on_delete=models.PROTECT, related_name="invoice")
    customer = models.ForeignKey("sales.Customer", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False,
                              help_text="Assigned at issue: INV-YYYY-NNNNNN, gap-free per year.")
    status = FSMField(default=InvoiceStatus.DRAFT, choices=InvoiceStatus.choices, protected=True, db_index=True)
    currency = CurrencyField()
    customer_name = models.CharField(max_length=200)
    customer_email = models.EmailField(max_length=254)
    billing_address = models.JSONField()
    customer_tax_id = models.CharField(max_length=64, blank=True)
    tax_exempt_reason = models.CharField(max_length=255, blank=True, help_text="Why no tax (an exempt customer).")
    subtotal = MoneyField(help_text="Net of the lines.")
    charges_total = MoneyField(default=0, help_text="Net of the charges.")
    tax_total = MoneyField(default=0)
    total = MoneyField(help_text="Gross: what the customer pays.")
    taxes = models.JSONField(default=list, blank=True, help_text="One row per rate: name, rate, country, region, "
                             "taxable_amount, tax_amount.")
    discounts = models.JSONField(default=dict, blank=True, help_text="The order's discount, promotion code and "
                                 "discount total, as the order showed them.")
    prices_include_tax = models.BooleanField(default=False)
    tax_rounding = models.CharField(max_length=8, default="line")
    amount_paid = MoneyField(default=Decimal(0))
    amount_credited = MoneyField(default=Decimal(0), help_text="The total of the invoice's credit notes.")
    amount_refunded = MoneyField(default=Decimal(0), help_text="The total of the refunds of its payments.")
    issued_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("issue_invoice", "Can issue invoices"),
            ("void_invoice", "Can void invoices"),
            ("view_tax_report", "Can view the tax report"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="invoice_status_due"),
            models.Index(fields=["customer", "created_at"], name="invoice_customer_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="invoice_amount_paid_not_negative"),
            models.CheckConstraint(condition=Q(amount_paid__lte=F("total")), name="invoice_not_overpaid"),
            models.CheckConstraint(condition=Q(amount_credited__gte=0), name="invoice_amount_credited_not_negative"),
            models.CheckConstraint(condition=Q(amount_credited__lte=F("total")), name="invoice_not_overcredited"),
            models.CheckConstraint(condition=Q(amount_refunded__gte=0), name="invoice_amount_refunded_not_negative"),
            models.CheckConstraint(condition=Q(amount_refunded__lte=F("amount_paid")),
                                   name="invoice_not_overrefunded"),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT) | Q(status=InvoiceStatus.VOID, number__isnull=True)
                | Q(number__isnull=False),
                name="invoice_issued_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice ({self.customer_name})"

    @property
    def amount_due(self) -> Decimal:
        """``total - credited - paid + refunded``, never below zero (nothing is due on a void invoice)."""
        if self.status == InvoiceStatus.VOID:
            return quantize(Decimal(0), self.currency)
        due = self.total - self.amount_credited - self.amount_paid + self.amount_refunded
        return quantize(max(due, Decimal(0)), self.currency)

    @property
    def amount_refundable(self) -> Decimal:
        """What is owed back to the customer: ``paid - refunded - (total - credited)`` when positive (money
        goes back only when a credit note makes it owed)."""
        owed = self.amount_paid - self.amount_refunded - (self.total - self.amount_credited)
        return quantize(max(owed, Decimal(0)), self.currency)

    @property
    def payable(self) -> bool:
        """Payments can be recorded on the invoice (a draft is issued by its first payment)."""
        return self.status in PAYABLE_STATUSES

    @property
    def has_payments(self) -> bool:
        """Something has been paid on the invoice (it can no longer be voided, nor its order cancelled)."""
        return self.amount_paid > 0

    @property
    def has_credit(self) -> bool:
        """Credit notes correct the invoice (it stays, corrected by them: never voided)."""
        return self.amount_credited > 0

    @transition(field=status, source=InvoiceStatus.DRAFT, target=InvoiceStatus.ISSUED,
                permission="billing.issue_invoice")
    def issue(self, *, number: str, issued_at: datetime, due_at: datetime) -> None:
        self.number = number
        self.issued_at = issued_at
        self.due_at = due_at

    # Reached only as a consequence of payments (never requested): "automatic" keeps it out of allowed moves.
    @transition(field=status, source=InvoiceStatus.ISSUED, target=InvoiceStatus.PAID, conditions=[_fully_paid],
                permission="billing.add_payment", custom={"automatic": True})
    def settle(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=status, source=[InvoiceStatus.DRAFT, InvoiceStatus.ISSUED], target=InvoiceStatus.VOID,
                conditions=[_nothing_paid], permission="billing.void_invoice")
    def void(self, *, reason: str = "") -> None:
        self.void_reason = reason
        self.voided_at = timezone.now()


class InvoiceLineKind(models.TextChoices):
    PRODUCT = "product", "Product"
    SHIPPING = "shipping", "Shipping"
    HANDLING = "handling", "Handling"
    OTHER = "other", "Other charge"


class InvoiceLine(models.Model):
    """A line of the invoice: a product line of the order (``kind`` product) or one of its charges (shipping,
    handling, other: no product, quantity 1, ``unit_price`` = ``line_total`` = the charge as entered)."""

    Kind = InvoiceLineKind

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=InvoiceLineKind.choices, default=InvoiceLineKind.PRODUCT)
    product_id = models.CharField(max_length=40, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    line_total = MoneyField(help_text="As prices are entered (gross when they include tax).")
    tax_class = models.CharField(max_length=32, default="standard")
    tax_rate = models.DecimalField(max_digits=9, decimal_places=4, default=0, help_text="The summed percent.")
    net_amount = MoneyField(default=0)
    tax_amount = MoneyField(default=0)
    gross_amount = MoneyField(default=0)
    taxes = models.JSONField(default=list, blank=True, help_text="The tax per rate: name, rate, country, region, "
                             "tax_amount.")
    list_price = MoneyField(null=True, blank=True, help_text="The product's price when the order was made.")
    discounts = models.JSONField(null=True, blank=True, help_text="The line's discount (as the order showed it) "
                                 "and its share of the order's discounts.")

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"  # noqa: RUF001 (the multiplication sign is meant)


class InvoiceEvent(HistoryEvent):
    """The invoice's history: creation, every status change, every payment, credit note and refund."""

    subject_field = "invoice"
    data_keys = INVOICE_HISTORY_KEYS

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS_CHANGED = "status_changed", "Status changed"
        PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
        CREDIT_NOTE_ISSUED = "credit_note_issued", "Credit note issued"
        REFUND_RECORDED = "refund_recorded", "Refund recorded"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)

    class Meta:
        ordering = ["invoice", "id"]
        indexes = [models.Index(fields=["invoice", "id"], name="invoiceevent_invoice_id")]


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class Payment(models.Model):
    """Money received against an invoice. ``reference`` (the bank transaction, card authorisation…) is
    unique per invoice, so the same payment cannot be booked twice."""

    Method = PaymentMethod

    id = PrefixedIdField(prefix="pay")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField()
    currency = CurrencyField()
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "reference"], name="payment_reference_unique_per_invoice"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at).strftime("%d %b %Y")
        return f"{when} · {self.reference} · {format_money(self.amount, self.currency)}"


class CreditNote(models.Model):
    """A correction of an issued invoice: what the customer no longer owes (a credited return, a price
    adjustment, goodwill). Numbered ``CN-YYYY-NNNNNN`` (its own gap-free counter per year) in the issuing
    transaction; never changed afterwards. ``total`` adds to the invoice's ``amount_credited``."""

    id = PrefixedIdField(prefix="cn")
    number = models.CharField(max_length=32, unique=True, editable=False,
                              help_text="CN-YYYY-NNNNNN, gap-free per year.")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    # The credited return, if any (one credit note per return). Django refuses field names ending in "_", so
    # it is ``sales_return`` (``sales_return_id`` in the database), as on the return's own lines.
    sales_return = models.OneToOneField("sales.Return", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="credit_note")
    reason = models.CharField(max_length=255)
    currency = CurrencyField()
    net_total = MoneyField(default=0, help_text="Net credited.")
    tax_total = MoneyField(default=0, help_text="Tax credited.")
    total = MoneyField(help_text="Gross credited: net_total + tax_total.")
    taxes = models.JSONField(default=list, blank=True, help_text="Per rate: as the invoice's taxes.")
    credited_items = models.JSONField(default=list, blank=True, help_text="Per invoice line: net and tax per rate "
                                      "credited (what later credit notes of the invoice start from).")
    issued_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="creditnote_total_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {format_money(self.total, self.currency)}"


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    invoice_line = models.ForeignKey(InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text="The invoice line whose returned units this line credits, if any.")
    product_id = models.CharField(max_length=40, blank=True, help_text="The returned product, if any.")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    line_total = MoneyField(help_text="As prices are entered (gross when they include tax).")
    tax_rate = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True,
                                   help_text="Its invoice line's summed percent (none for a credit by amount).")
    net_amount = MoneyField(default=0)
    tax_amount = MoneyField(default=0)
    gross_amount = MoneyField(default=0)
    taxes = models.JSONField(default=list, blank=True, help_text="The tax credited per rate.")

    class Meta:
        ordering = ["credit_note", "position"]
        constraints = [
            models.UniqueConstraint(fields=["credit_note", "position"], name="creditnoteline_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="creditnoteline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"  # noqa: RUF001 (the multiplication sign is meant)


class Refund(models.Model):
    """Money paid back on a payment, once a credit note has made it owed (the invoice's ``amount_refundable``).
    ``amount`` adds to the invoice's ``amount_refunded``."""

    id = PrefixedIdField(prefix="ref")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField()
    currency = CurrencyField()
    reason = models.CharField(max_length=255)
    reference = models.CharField(max_length=100, help_text="The bank transfer or card refund that paid it back.")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.recorded_at).strftime("%d %b %Y")
        return f"{when} · {self.reference} · {format_money(self.amount, self.currency)}"
