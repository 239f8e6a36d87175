from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import TimeStampedModel
from synthesq.core.money import CurrencyField, MoneyField


class Product(TimeStampedModel):
    """Something we sell. A product with variants is a catalogue grouping: only its variants are sold,
    and stock lives on the sellable product. ``stock_quantity`` changes only through ``inventory.services``,
    each change with its ``StockMovement`` row."""

    id = PrefixedIdField(prefix="prod")
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = MoneyField()
    currency = CurrencyField()
    stock_quantity = models.IntegerField(default=0, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="variants",
        help_text="The product this one is a variant of.",
    )
    is_active = models.BooleanField("active", default=True)
    tax_class = models.ForeignKey("taxes.TaxClass", on_delete=models.PROTECT, default="standard", related_name="+",
                                  help_text="How the product is taxed (its class's rates in the ship-to country).")

    class Meta:
        ordering = ["sku"]
        permissions = [("adjust_stock", "Can adjust stock")]
        constraints = [
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="product_not_own_parent"),
            models.UniqueConstraint(Lower("sku"), name="product_sku_unique_any_case"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class StockMovement(models.Model):
    """One change of a product's stock. For every product, the sum of ``quantity_delta`` equals
    ``stock_quantity``; the row is written in the same transaction as the change."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial stock"
        ADJUSTMENT = "adjustment", "Manual adjustment"
        RESERVATION = "reservation", "Reserved for an order"
        RELEASE = "release", "Released from an order"
        RETURN = "return", "Returned by a customer"

    id = PrefixedIdField(prefix="mov")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity_delta = models.IntegerField()
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="What caused it, e.g. the order id."
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["product", "id"], name="stockmovement_product_id")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity_delta=0), name="stockmovement_delta_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="stockmovement_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity_delta:+d}"
