"""The tax configuration's renderings, and taxed orders and invoices with charges, against the serializers'
declarations (which make the OpenAPI schema): the same keys, in order, and the same types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.api.serializers import InvoiceSerializer
from billing.models import Invoice
from billing.representations import invoice_representation
from sales import services
from sales.api.serializers import OrderSerializer
from sales.representations import order_representation, order_representations
from sales.selectors import order_list
from taxes.api.serializers import TaxClassSerializer, TaxRateSerializer, TaxSettingsSerializer
from taxes.models import TaxClass
from taxes.representations import tax_class_representation, tax_rate_representation, tax_settings_representation
from taxes.selectors import tax_settings_get
from tests.factories import CustomerFactory, ProductFactory
from tests.representation_parity import assert_renders_as_declared
from tests.taxes.helpers import AUSTIN, rate

pytestmark = pytest.mark.django_db


def test_the_configuration_renders_as_declared() -> None:
    texas = rate("6.25", country="US", region="TX", name="Texas state")
    assert tax_rate_representation(texas)["rate"] == "6.2500"
    for data, serializer in ((tax_rate_representation(texas), TaxRateSerializer),
                             (tax_class_representation(TaxClass.objects.get(code="standard")), TaxClassSerializer),
                             (tax_settings_representation(tax_settings_get()), TaxSettingsSerializer())):
        assert_renders_as_declared(serializer, data)


def test_a_taxed_order_with_charges_and_its_invoice_render_as_declared() -> None:
    # given stacked rates and an order with a charge to Austin, confirmed
    rate("6.25", country="US", region="TX", name="Texas state")
    rate("2", country="US", region="TX", name="Austin local")
    product = ProductFactory(stock=10)
    order = services.order_create(actor=None, customer_id=CustomerFactory().pk, currency="USD",
                                  line_items=[services.LineInput(product_id=product.pk, quantity=2)],
                                  shipping_address=AUSTIN,
                                  charges=[services.ChargeInput(kind="shipping", amount=Decimal("9.90"))])
    services.order_confirm(order_id=order.pk, actor=None)
    # then the order (alone and in a page) and the invoice render as declared, taxes and charges included
    shown = order_representation(order_list().get(pk=order.pk))
    assert shown["charges"] and len(shown["taxes"]) == 2
    assert_renders_as_declared(OrderSerializer, shown)
    assert_renders_as_declared(OrderSerializer, order_representations(order_list())[0])
    invoice = Invoice.objects.with_overdue().prefetch_related("lines").get(order_id=order.pk)
    assert_renders_as_declared(InvoiceSerializer, invoice_representation(invoice))
