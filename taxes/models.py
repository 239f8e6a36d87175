"""Tax configuration: classes (what products and charges name), rates (a percent per class, country and
optionally region, valid for a period) and the one settings row (whether prices include tax, how tax is
rounded). Orders and invoices copy the rates they use, so editing these never changes an existing document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import TimeStampedModel

STANDARD = "standard"
ZERO = "zero"
RATE_MAX_DIGITS = 9
RATE_DECIMAL_PLACES = 4


class ChargeKind(models.TextChoices):
    """What a charge of an order or invoice is for."""

    SHIPPING = "shipping", "Shipping"
    HANDLING = "handling", "Handling"
    OTHER = "other", "Other charge"


class TaxRounding(models.TextChoices):
    LINE = "line", "Round each line's tax"
    DOCUMENT = "document", "Round once per rate on the document"


class TaxClass(TimeStampedModel):
    """What kind of goods or service is taxed how (``standard``, ``reduced``, ``zero``…); the code is the key."""

    code = models.SlugField(max_length=32, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "tax classes"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class TaxRate(TimeStampedModel):
    """A percent of one class in one country (``region`` empty) or one of its regions (the address's
    ``state``; a region's rates add to the country's), valid from ``valid_from`` to ``valid_to`` (both days
    included; open-ended when null)."""

    id = PrefixedIdField(prefix="txr")
    tax_class = models.ForeignKey(TaxClass, on_delete=models.PROTECT, related_name="rates")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    region = models.CharField(max_length=100, blank=True, help_text="Empty: the whole country; else the "
                              "address's state, e.g. TX.")
    name = models.CharField(max_length=100)
    rate = models.DecimalField(max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMAL_PLACES,
                               help_text="Percent, up to 4 decimals.")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Last day valid; empty: open-ended.")

    class Meta:
        ordering = ["country", "region", "tax_class", "valid_from", "id"]
        indexes = [models.Index(fields=["country", "tax_class", "valid_from"], name="taxrate_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0), name="taxrate_rate_not_negative"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                                   name="taxrate_valid_to_after_from"),
        ]

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} {self.rate.normalize():f} % ({where}, {self.tax_class_id})"

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class TaxSettings(models.Model):
    """The one row of tax settings (primary key 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    prices_include_tax = models.BooleanField(default=False, help_text="Prices and charges are entered gross.")
    rounding = models.CharField(max_length=8, choices=TaxRounding.choices, default=TaxRounding.LINE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "tax settings"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="taxsettings_single_row")]

    def __str__(self) -> str:
        return "Prices and rounding"


ZERO_PERCENT = Decimal("0.0000")
