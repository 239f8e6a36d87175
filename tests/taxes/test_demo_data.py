"""The demo data configures taxes (DE 19 %/7 %, FR 20 %/5.5 %, GB 20 %, a product in the reduced class) so that
``make run`` shows them at once, while the guide's Austin, TX orders stay untaxed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from inventory.models import Product
from sales.models import Order
from taxes.models import TaxRate

pytestmark = pytest.mark.django_db


def test_demo_data_configures_taxes_and_shows_a_taxed_order() -> None:
    # when the demo data is loaded (twice: it only adds what is missing)
    call_command("load_demo_data", "--no-token", stdout=StringIO())
    call_command("load_demo_data", "--no-token", stdout=StringIO())
    # then the rates are there once each, and the handbook is in the reduced class
    rates = sorted(TaxRate.objects.values_list("country", "tax_class_id", "rate"))
    assert [(country, tax_class, f"{rate:.1f}") for country, tax_class, rate in rates] == [
        ("DE", "reduced", "7.0"), ("DE", "standard", "19.0"), ("FR", "reduced", "5.5"), ("FR", "standard", "20.0"),
        ("GB", "standard", "20.0")]
    assert Product.objects.get(sku="BOOK-ERGO").tax_class_id == "reduced"
    # and the Berlin order is taxed at 19 % and 7 % with its shipping, the Austin ones untaxed
    berlin = Order.objects.get(shipping_address__city="Berlin")
    assert [row["name"] for row in berlin.taxes] == ["USt 19%", "USt 7%"]
    assert str(berlin.tax_total) != "0" and berlin.charges[0]["kind"] == "shipping"
    assert {str(order.tax_total) for order in Order.objects.filter(shipping_address__city="Austin")} == {"0.0000"}
