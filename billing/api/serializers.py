from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus, Payment, PaymentMethod
from billing.selectors import invoice_allowed_statuses
from sales.api.serializers import AddressSerializer
from synthesq.core.money import AmountSerializerField, CurrencySerializerField
from synthesq.core.serializers import ActorField, InputSerializer


class InvoiceLineSerializer(serializers.ModelSerializer):
    unit_price = AmountSerializerField(currency_source="invoice.currency")
    line_total = AmountSerializerField(currency_source="invoice.currency")

    class Meta:
        model = InvoiceLine
        fields = ["product_id", "sku", "description", "quantity", "unit_price", "line_total"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    order_id = serializers.CharField(read_only=True)
    customer_id = serializers.CharField(read_only=True)
    billing_address = AddressSerializer(read_only=True)
    line_items = InvoiceLineSerializer(source="lines", many=True, read_only=True)
    subtotal = AmountSerializerField()
    total = AmountSerializerField()
    amount_paid = AmountSerializerField()
    amount_due = AmountSerializerField()
    overdue = serializers.BooleanField(source="is_overdue", read_only=True,
                                       help_text="Issued and past its due date.")
    allowed_statuses = serializers.SerializerMethodField(
        help_text="Statuses the caller may move this invoice to now (paid is reached by payments)."
    )

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "order_id", "customer_id", "status", "currency", "customer_name", "customer_email",
            "billing_address", "line_items", "subtotal", "total", "amount_paid", "amount_due", "overdue",
            "allowed_statuses", "issued_at", "due_at", "paid_at", "voided_at", "void_reason",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=InvoiceStatus.choices)))
    def get_allowed_statuses(self, invoice: Invoice) -> list[str]:
        request = self.context.get("request")
        return invoice_allowed_statuses(invoice, request.user if request else None)


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
    amount_due = AmountSerializerField()

    class Meta:
        model = Invoice
        fields = ["id", "number", "status", "total", "amount_paid", "amount_due"]
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
