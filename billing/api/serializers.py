from __future__ import annotations

from rest_framework import serializers

from billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Refund,
)
from sales.api.serializers import AddressSerializer, DiscountSerializer
from synthesq.core.money import AmountSerializerField, CurrencySerializerField
from synthesq.core.serializers import ActorField, InputSerializer
from taxes.api.serializers import ChargeSerializer, ItemTaxSerializer, PercentSerializerField, TaxRowSerializer


class InvoiceLineSerializer(serializers.ModelSerializer):
    unit_price = AmountSerializerField(currency_source="invoice.currency")
    line_total = AmountSerializerField(currency_source="invoice.currency")
    tax_rate = PercentSerializerField(read_only=True, help_text="The summed percent of its rates.")
    net_amount = AmountSerializerField(currency_source="invoice.currency")
    tax_amount = AmountSerializerField(currency_source="invoice.currency")
    gross_amount = AmountSerializerField(currency_source="invoice.currency")
    taxes = ItemTaxSerializer(many=True, read_only=True, help_text="The tax per rate.")
    list_price = AmountSerializerField(currency_source="invoice.currency", allow_null=True,
                                       help_text="The product's price when the order was made.")
    discount = DiscountSerializer(allow_null=True, read_only=True, help_text="The line's own discount.")
    order_discount_amount = AmountSerializerField(currency_source="invoice.currency",
                                                  help_text="Its share of the order's discounts.")

    class Meta:
        model = InvoiceLine
        fields = ["product_id", "sku", "description", "quantity", "unit_price", "line_total", "tax_class",
                  "tax_rate", "net_amount", "tax_amount", "gross_amount", "taxes", "list_price", "discount",
                  "order_discount_amount"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    order_id = serializers.CharField(read_only=True)
    customer_id = serializers.CharField(read_only=True)
    billing_address = AddressSerializer(read_only=True)
    line_items = InvoiceLineSerializer(source="lines", many=True, read_only=True, help_text="The product lines.")
    charges = ChargeSerializer(many=True, read_only=True, help_text="Shipping, handling and other charges.")
    subtotal = AmountSerializerField(help_text="Net of the lines.")
    charges_total = AmountSerializerField(help_text="Net of the charges.")
    tax_total = AmountSerializerField()
    total = AmountSerializerField(help_text="Gross: what the customer pays.")
    discount = DiscountSerializer(allow_null=True, read_only=True, help_text="The order's own discount.")
    promotion_code = serializers.CharField(allow_null=True, read_only=True)
    promotion_discount = AmountSerializerField(help_text="The promotion code's discount.")
    discount_total = AmountSerializerField(help_text="Every discount: the lines', the order's and the code's.")
    taxes = TaxRowSerializer(many=True, read_only=True, help_text="The breakdown: one row per rate.")
    amount_paid = AmountSerializerField()
    amount_credited = AmountSerializerField(help_text="The total of its credit notes.")
    amount_refunded = AmountSerializerField(help_text="The total of the refunds of its payments.")
    amount_due = AmountSerializerField(help_text="total - amount_credited - amount_paid + amount_refunded, "
                                                 "never below zero (0 on a void invoice).")
    amount_refundable = AmountSerializerField(
        help_text="What is owed back: amount_paid - amount_refunded - (total - amount_credited) when positive, else 0."
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True,
                                       help_text="Issued and past its due date.")
    allowed_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=InvoiceStatus.choices), read_only=True,
        help_text="Statuses the caller may move this invoice to now (paid is reached by payments).",
    )

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "order_id", "customer_id", "status", "currency", "customer_name", "customer_email",
            "billing_address", "customer_tax_id", "tax_exempt_reason", "line_items", "charges", "subtotal",
            "charges_total", "tax_total", "total", "prices_include_tax", "tax_rounding", "taxes", "amount_paid",
            "amount_credited", "amount_refunded", "amount_due", "amount_refundable", "overdue",
            "allowed_statuses", "issued_at", "due_at", "paid_at", "voided_at", "void_reason",
            "created_at", "updated_at", "discount", "promotion_code", "promotion_discount", "discount_total",
        ]
        read_only_fields = fields


class InvoiceStatusInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=InvoiceStatus.choices,
                                     help_text="issued or void; paid is reached only by payments.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class InvoiceEventSerializer(serializers.ModelSerializer):
    actor = ActorField()

    class Meta:
        model = InvoiceEvent
        fields = ["id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"]
        read_only_fields = fields


class InvoiceSummarySerializer(serializers.ModelSerializer):
    total = AmountSerializerField()
    amount_paid = AmountSerializerField()
    amount_credited = AmountSerializerField()
    amount_refunded = AmountSerializerField()
    amount_due = AmountSerializerField()
    amount_refundable = AmountSerializerField()

    class Meta:
        model = Invoice
        fields = ["id", "number", "status", "total", "amount_paid", "amount_credited", "amount_refunded",
                  "amount_due", "amount_refundable"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    invoice_id = serializers.CharField(read_only=True)
    amount = AmountSerializerField()
    recorded_by = ActorField()
    invoice = InvoiceSummarySerializer(read_only=True, help_text="The invoice after this payment.")

    class Meta:
        model = Payment
        fields = ["id", "invoice_id", "amount", "currency", "payment_method", "reference", "recorded_by",
                  "created_at", "invoice"]
        read_only_fields = fields


class PaymentInputSerializer(InputSerializer):
    invoice_id = serializers.CharField(max_length=40)
    amount = AmountSerializerField(help_text="Positive, at most the invoice's amount_due.")
    currency = CurrencySerializerField()
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=100, help_text="Unique per invoice, e.g. the bank transaction.")

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("Must be positive.")
        return value


class CreditNoteLineSerializer(serializers.ModelSerializer):
    unit_price = AmountSerializerField(currency_source="credit_note.currency")
    line_total = AmountSerializerField(currency_source="credit_note.currency",
                                       help_text="Quantity x unit price, as prices are entered.")
    tax_rate = PercentSerializerField(read_only=True, allow_null=True,
                                      help_text="The credited invoice line's summed percent; null for a credit by "
                                                "amount (it spreads over the invoice's rates).")
    net_amount = AmountSerializerField(currency_source="credit_note.currency")
    tax_amount = AmountSerializerField(currency_source="credit_note.currency")
    gross_amount = AmountSerializerField(currency_source="credit_note.currency")
    taxes = ItemTaxSerializer(many=True, read_only=True, help_text="The tax credited per rate.")

    class Meta:
        model = CreditNoteLine
        fields = ["position", "product_id", "description", "quantity", "unit_price", "line_total", "tax_rate",
                  "net_amount", "tax_amount", "gross_amount", "taxes"]
        read_only_fields = fields


class CreditNoteSerializer(serializers.ModelSerializer):
    invoice_id = serializers.CharField(read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    order_id = serializers.CharField(source="invoice.order_id", read_only=True)
    customer_id = serializers.CharField(source="invoice.customer_id", read_only=True)
    return_id = serializers.CharField(source="sales_return_id", read_only=True, allow_null=True,
                                      help_text="The credited return (ret_…), if any.")
    net_total = AmountSerializerField(help_text="Net credited.")
    tax_total = AmountSerializerField(help_text="Tax credited: the sum of its taxes' tax_amount.")
    total = AmountSerializerField(help_text="Gross credited (net_total + tax_total): what amount_credited adds.")
    taxes = TaxRowSerializer(many=True, read_only=True, help_text="The breakdown per rate, at the invoice's "
                                                                  "rates: net credited and tax credited.")
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    created_by = ActorField()
    invoice = InvoiceSummarySerializer(read_only=True, help_text="The invoice as it is now.")

    class Meta:
        model = CreditNote
        fields = ["id", "number", "invoice_id", "invoice_number", "order_id", "customer_id", "return_id", "reason",
                  "currency", "net_total", "tax_total", "total", "taxes", "lines", "issued_at", "created_by",
                  "invoice"]
        read_only_fields = fields


class CreditNoteLineInputSerializer(InputSerializer):
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = AmountSerializerField(help_text="Positive, in the invoice's currency.")

    def validate_unit_price(self, value):
        if value <= 0:
            raise serializers.ValidationError("Must be positive.")
        return value


class CreditNoteInputSerializer(InputSerializer):
    """A credit note: send either `lines` or `amount`, exactly one of the two (both, or neither, is a 400
    naming `lines`)."""

    invoice_id = serializers.CharField(max_length=40)
    lines = CreditNoteLineInputSerializer(many=True, required=False, allow_empty=False,
                                          help_text="What is credited. Either lines or amount, not both.")
    amount = AmountSerializerField(required=False, help_text="One line \"Credit: <reason>\". Either amount or "
                                                             "lines, not both.")
    reason = serializers.CharField(max_length=255)

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("Must be positive.")
        return value

    def validate(self, attrs):
        if ("lines" in attrs) == ("amount" in attrs):
            raise serializers.ValidationError({"lines": ["Send either lines or amount."]})
        return attrs


class RefundSerializer(serializers.ModelSerializer):
    payment_id = serializers.CharField(read_only=True)
    invoice_id = serializers.CharField(read_only=True)
    amount = AmountSerializerField()
    recorded_by = ActorField()
    invoice = InvoiceSummarySerializer(read_only=True, help_text="The invoice as it is now.")

    class Meta:
        model = Refund
        fields = ["id", "payment_id", "invoice_id", "amount", "currency", "reason", "reference", "recorded_by",
                  "recorded_at", "invoice"]
        read_only_fields = fields


class RefundInputSerializer(InputSerializer):
    payment_id = serializers.CharField(max_length=40)
    amount = AmountSerializerField(help_text="Positive; at most the payment less its refunds and the invoice's "
                                             "amount_refundable.")
    currency = CurrencySerializerField(required=False, help_text="The payment's currency (the default).")
    reason = serializers.CharField(max_length=255)
    reference = serializers.CharField(max_length=100, help_text="The bank transfer or card refund.")

    def validate_amount(self, value):
        if value <= 0:
            raise serializers.ValidationError("Must be positive.")
        return value


class TaxReportRowSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True, help_text="Empty: the whole country.")
    name = serializers.CharField(read_only=True, help_text="The rate's name; empty with rate 0: untaxed amounts.")
    rate = PercentSerializerField(read_only=True)
    taxable_amount = AmountSerializerField(read_only=True, help_text="Invoiced less credited, net.")
    tax_amount = AmountSerializerField(read_only=True, help_text="Invoiced less credited.")


class TaxReportTotalSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    taxable_amount = AmountSerializerField(read_only=True)
    tax_amount = AmountSerializerField(read_only=True)


class TaxReportSerializer(serializers.Serializer):
    """``from`` and ``to`` are Python keywords: declared in ``get_fields``."""

    rows = TaxReportRowSerializer(many=True, read_only=True)
    totals = TaxReportTotalSerializer(many=True, read_only=True, help_text="One per currency.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"from": serializers.DateField(read_only=True, help_text="The first day (included)."),
                "to": serializers.DateField(read_only=True, help_text="The last day (included)."), **fields}


class TaxReportQuerySerializer(InputSerializer):
    """The period: ``from`` and ``to``, days (YYYY-MM-DD), both included; ``to`` not before ``from``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"from": serializers.DateField(help_text="The first day, YYYY-MM-DD."),
                "to": serializers.DateField(help_text="The last day, YYYY-MM-DD (included).")}

    def validate(self, attrs):
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs
