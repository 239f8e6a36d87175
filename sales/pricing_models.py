"""Prices and discounts (issue 23): promotion codes, price lists with quantity breaks, and the discount fields
that orders and their lines carry. ``sales.models`` imports this module, so these are the app's models."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import TimeStampedModel
from synthesq.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, CurrencyField, MoneyField


class DiscountType(models.TextChoices):
    PERCENT = "percent", "Percent"
    AMOUNT = "amount", "Amount"


class PromotionCode(TimeStampedModel):
    """A code a customer's order may carry for an order discount. Uses are counted when an order confirms
    (``times_used``, with the row locked after the order's) and given back when a confirmed order is cancelled;
    the database refuses a count beyond ``usage_limit``."""

    id = PrefixedIdField(prefix="promo")
    code = models.CharField(max_length=64, help_text="Unique whatever the case; customers may type it in any case.")
    description = models.CharField(max_length=255, blank=True)
    discount_type = models.CharField(max_length=8, choices=DiscountType.choices)
    discount_value = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
        help_text="A percent (0-100) or an amount in the code's currency.",
    )
    currency = models.CharField(max_length=3, blank=True, help_text="The amount's currency (amount codes only).")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    min_subtotal = models.JSONField(default=dict, blank=True,
                                    help_text='Minimum subtotal per currency: {"USD": "50.00"}.')
    products = models.ManyToManyField("inventory.Product", blank=True, related_name="+",
                                      help_text="The products it applies to (none: every product).")
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Uses in total (empty: no limit).")
    usage_limit_per_customer = models.PositiveIntegerField(null=True, blank=True)
    times_used = models.PositiveIntegerField(default=0, editable=False,
                                             help_text="Confirmed orders carrying the code (not cancelled).")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-id"]
        # Declared here for want of room on Order: who may discount a line or an order beyond
        # MAX_SALES_DISCOUNT_PERCENT (finance; superusers hold every permission).
        permissions = [("give_unlimited_discount", "Can give discounts beyond the sales limit")]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="promotioncode_code_unique_ci"),
            models.CheckConstraint(condition=Q(usage_limit__isnull=True) | Q(times_used__lte=F("usage_limit")),
                                   name="promotioncode_within_usage_limit"),
            models.CheckConstraint(condition=Q(discount_value__gt=0), name="promotioncode_discount_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class PriceList(TimeStampedModel):
    """A customer's own prices, in one currency, with quantity breaks (``entries``)."""

    id = PrefixedIdField(prefix="prl")
    name = models.CharField(max_length=200)
    currency = CurrencyField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListEntry(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, related_name="+")
    min_quantity = models.PositiveIntegerField(default=1)
    unit_price = MoneyField()

    class Meta:
        ordering = ["price_list", "product", "min_quantity"]
        verbose_name_plural = "price list entries"
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product", "min_quantity"],
                                    name="pricelistentry_break_unique"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="pricelistentry_min_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pricelistentry_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} from {self.min_quantity}"


class OrderDiscounts(models.Model):
    """An order's discounts: its own (``discount_type``/``discount_value``, as entered) and its promotion
    code's, as amounts decided when the draft was priced."""

    promotion_code = models.ForeignKey(PromotionCode, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="orders")
    discount_type = models.CharField(max_length=8, choices=DiscountType.choices, blank=True)
    discount_value = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
                                         null=True, blank=True)
    discount_reason = models.CharField(max_length=255, blank=True)
    discount_amount = MoneyField(default=0, help_text="The order's own discount.")
    promotion_discount_amount = MoneyField(default=0, help_text="The promotion code's discount.")
    lines_discount_total = MoneyField(default=0, help_text="The sum of the lines' own discounts.")

    class Meta:
        abstract = True


class OrderLineDiscounts(models.Model):
    """A line's price source and discounts: ``list_price`` (the product's price), the price list it was priced
    from, its own discount and its share of the order's discounts."""

    list_price = MoneyField(null=True, blank=True)
    price_list = models.ForeignKey(PriceList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # One column for the discount as entered (a line has many columns; SQLite takes 999 values per INSERT).
    discount = models.JSONField(null=True, blank=True,
                                help_text='As entered: {"type": "percent" | "amount", "value": "10", "reason": ""}.')
    discount_amount = MoneyField(default=0, help_text="The line's own discount.")
    order_discount_amount = MoneyField(default=0, help_text="Its share of the order's discounts.")

    class Meta:
        abstract = True


class CustomerPriceList(models.Model):
    """A customer's price list (at most one)."""

    price_list = models.ForeignKey(PriceList, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="customers")

    class Meta:
        abstract = True


__all__ = [
    "CustomerPriceList", "DiscountType", "OrderDiscounts", "OrderLineDiscounts", "PriceList", "PriceListEntry",
    "PromotionCode",
]
