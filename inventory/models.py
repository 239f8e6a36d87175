from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import TimeStampedModel
from synthesq.core.money import CurrencyField, MoneyField


class Warehouse(TimeStampedModel):
    """A place that holds stock. Allocation takes warehouses by ``priority``, smaller numbers first (see
    ``inventory.allocation``); inactive warehouses keep their stock but are not allocated from. Exactly one
    warehouse is the default: adjustments and new products' initial stock go there unless told otherwise."""

    id = PrefixedIdField(prefix="wh")
    code = models.CharField(max_length=32, unique=True, help_text="A short code staff use, e.g. BER-1.")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    priority = models.PositiveIntegerField(default=100, help_text="Allocation order: smaller numbers first.")
    is_active = models.BooleanField("active", default=True)
    is_default = models.BooleanField("default", default=False, editable=False)

    class Meta:
        ordering = ["priority", "code"]
        permissions = [("transfer_stock", "Can transfer stock between warehouses")]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="warehouse_code_unique_any_case"),
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="warehouse_one_default"),
            models.CheckConstraint(condition=Q(is_active=True) | Q(is_default=False), name="warehouse_default_active"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


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


class WarehouseStock(models.Model):
    """How many units of a product one warehouse holds. A product's ``stock_quantity`` is the sum of its rows;
    a missing row holds none. Locked by (product, warehouse), after the product rows."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="warehouse_stocks")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    quantity = models.IntegerField(default=0)

    class Meta:
        ordering = ["product", "warehouse"]
        verbose_name = "warehouse stock"
        verbose_name_plural = "warehouse stock"
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="warehousestock_product_warehouse"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="warehousestock_quantity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity}"


class StockMovement(models.Model):
    """One change of a product's stock in one warehouse. For every product, the sum of ``quantity_delta``
    equals ``stock_quantity``, and for every product and warehouse it equals the ``WarehouseStock`` row's
    quantity; the row is written in the same transaction as the change. ``balance_after`` is the product's
    stock (all warehouses) after the change; a transfer writes two rows (out of one warehouse, into another)."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial stock"
        ADJUSTMENT = "adjustment", "Manual adjustment"
        RESERVATION = "reservation", "Reserved for an order"
        RELEASE = "release", "Released from an order"
        RETURN = "return", "Returned by a customer"
        TRANSFER = "transfer", "Transfer between warehouses"

    id = PrefixedIdField(prefix="mov")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
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
        indexes = [
            models.Index(fields=["product", "id"], name="stockmovement_product_id"),
            models.Index(fields=["warehouse", "product"], name="stockmovement_wh_product"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity_delta=0), name="stockmovement_delta_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="stockmovement_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity_delta:+d}"
