"""Orders with taxes and charges through the API: exclusive and inclusive prices, both rounding modes, USD, JPY
and BHD, stacked US state and local rates, exempt customers, charges, a draft's edit priced with its creation
date's rates, configuration edits that change no existing order or invoice, and the invoice's snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice
from sales.models import Order
from taxes.models import TaxClass, TaxRate
from tests.factories import CustomerFactory, ProductFactory
from tests.sales.helpers import ORDERS_URL, order_payload, order_url, status_url
from tests.taxes.helpers import AUSTIN, BERLIN, assert_adds_up, german_rates, rate, tax_settings

INVOICES_URL = "/api/v1/sales/invoices"
PAYMENTS_URL = "/api/v1/sales/payments"
DOCUMENT_FIELDS = ("subtotal", "charges_total", "tax_total", "total", "prices_include_tax", "tax_rounding",
                   "taxes", "charges", "tax_exempt_reason")


@pytest.fixture
def api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("sales", "finance")


def create(api: APIClient, lines: list[tuple[Any, int]], *, address: dict[str, str] = BERLIN,
           currency: str = "USD", charges: list[dict[str, Any]] | None = None, customer: Any = None) -> dict[str, Any]:
    body = order_payload((customer or CustomerFactory()).pk, [(product.pk, quantity) for product, quantity in lines],
                         currency=currency, address=address)
    if charges is not None:
        body["charges"] = charges
    response = api.post(ORDERS_URL, body, format="json")
    assert response.status_code == 201, response.content
    order = dict(response.json())
    assert_adds_up(order)
    return order


def product(price: str, *, tax_class: str = "standard", currency: str = "USD") -> Any:
    TaxClass.objects.get_or_create(code=tax_class, defaults={"name": tax_class})
    return ProductFactory(price=Decimal(price), currency=currency, tax_class_id=tax_class, stock=100_000)


def confirm(api: APIClient, order_id: str) -> dict[str, Any]:
    response = api.patch(status_url(order_id), {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    invoice_id = Invoice.objects.get(order_id=order_id).pk
    invoice = dict(api.get(f"{INVOICES_URL}/{invoice_id}").json())
    assert_adds_up(invoice)
    return invoice


def row(name: str, percent: str, taxable: str, tax: str, *, country: str = "DE", region: str = "") -> dict[str, str]:
    return {"name": name, "rate": percent, "country": country, "region": region, "taxable_amount": taxable,
            "tax_amount": tax}


def test_a_german_order_with_a_standard_and_a_reduced_line_and_shipping(api: APIClient) -> None:
    # given German rates, a standard and a reduced product, prices exclusive of tax
    german_rates()
    desk, book = product("100.00"), product("10.00", tax_class="reduced")
    # when an order of 2 desks and 3 books with shipping of 9.90 goes to Berlin
    order = create(api, [(desk, 2), (book, 3)],
                   charges=[{"kind": "shipping", "description": "DHL", "amount": "9.90", "tax_class": "standard"}])
    # then each line, the charge and the order carry their net, tax and gross
    lines = [(line["tax_class"], line["tax_rate"], line["net_amount"], line["tax_amount"], line["gross_amount"])
             for line in order["line_items"]]
    assert lines == [("standard", "19.0000", "200.00", "38.00", "238.00"),
                     ("reduced", "7.0000", "30.00", "2.10", "32.10")]
    charge = order["charges"][0]
    assert (charge["kind"], charge["amount"], charge["net_amount"], charge["tax_amount"], charge["gross_amount"]) == (
        "shipping", "9.90", "9.90", "1.88", "11.78")
    assert charge["taxes"] == [{"name": "USt 19%", "rate": "19.0000", "country": "DE", "region": "",
                                "tax_amount": "1.88"}]
    assert (order["subtotal"], order["charges_total"], order["tax_total"], order["total"]) == (
        "230.00", "9.90", "41.98", "281.88")
    assert order["taxes"] == [row("USt 19%", "19.0000", "209.90", "39.88"), row("USt 7%", "7.0000", "30.00", "2.10")]
    assert (order["prices_include_tax"], order["tax_rounding"]) == (False, "line")
    # and confirmed, its invoice shows the same figures, its total the gross a payment of the whole pays
    invoice = confirm(api, order["id"])
    for field in DOCUMENT_FIELDS[:-1]:
        assert invoice[field] == order[field], field
    assert invoice["amount_due"] == "281.88"
    pay = api.post(PAYMENTS_URL, {"invoice_id": invoice["id"], "amount": "281.88", "currency": "USD",
                                  "payment_method": "bank_transfer", "reference": "T-1"}, format="json")
    assert pay.status_code == 201 and pay.json()["invoice"]["status"] == "paid"


@pytest.mark.parametrize("rounding", ["line", "document"])
def test_inclusive_prices_112_x_0_05_and_2_x_20_at_22_percent_tax_8_22(api: APIClient, rounding: str) -> None:
    # given 22 % and prices including tax (Saleor #6720's basket)
    rate("22", country="IT", name="IVA 22%")
    tax_settings(prices_include_tax=True, rounding=rounding)
    # when 112 x 0.05 and 2 x 20.00 go to Italy
    order = create(api, [(product("0.05"), 112), (product("20.00"), 2)],
                   address={**BERLIN, "country": "IT", "city": "Roma"})
    # then the tax is 8.22 (45.60 x 22 / 122 = 8.2229…) and the total the gross entered
    assert (order["tax_total"], order["total"], order["prices_include_tax"]) == ("8.22", "45.60", True)
    assert order["taxes"] == [row("IVA 22%", "22.0000", "37.38", "8.22", country="IT")]


@pytest.mark.parametrize(("rounding", "per_line", "tax"), [("line", "0.02", "0.06"), ("document", None, "0.05")])
def test_three_lines_of_0_15_at_10_percent(api: APIClient, rounding: str, per_line: str | None, tax: str) -> None:
    # given 10 % and prices exclusive of tax, rounded per line or per document
    rate("10", name="VAT 10%")
    tax_settings(rounding=rounding)
    # when three lines of 0.15 are ordered
    order = create(api, [(product("0.15"), 1) for _ in range(3)])
    # then line rounding taxes 0.02 a line (0.06); document rounding 0.045 once (0.05), the cents given to lines
    assert order["tax_total"] == tax and order["total"] == str(Decimal("0.45") + Decimal(tax))
    if per_line:
        assert {line["tax_amount"] for line in order["line_items"]} == {per_line}
    assert order["tax_rounding"] == rounding


def test_164_02_at_2_6_percent_is_4_26(api: APIClient) -> None:
    rate("2.6", name="Tax 2.6%")
    order = create(api, [(product("164.02"), 1)])
    assert (order["tax_total"], order["total"]) == ("4.26", "168.28")


@pytest.mark.parametrize(("currency", "price", "quantity", "tax", "total"), [
    ("JPY", "1333", 3, "400", "4399"),
    ("BHD", "1.234", 1, "0.123", "1.357"),
    ("USD", "1.234", 1, None, None),
])
def test_currencies_round_to_their_minor_unit(api: APIClient, currency: str, price: str, quantity: int,
                                              tax: str | None, total: str | None) -> None:
    # given 10 %
    rate("10", name="VAT 10%")
    if tax is None:  # a price finer than the currency is refused before any tax
        response = api.post(ORDERS_URL, order_payload(CustomerFactory().pk, [(product("1.00").pk, 1, price)],
                                                      address=BERLIN), format="json")
        assert response.status_code == 400
        return
    # when an order is placed in the currency, then its tax is rounded half-up to the currency's minor unit
    order = create(api, [(product(price, currency=currency), quantity)], currency=currency)
    assert (order["tax_total"], order["total"]) == (tax, total)


def test_us_state_and_local_rates_stack(api: APIClient) -> None:
    # given Texas's 6.25 % and Austin's 2 % local rate (both region TX), and another state's rate
    rate("6.25", country="US", region="TX", name="Texas state")
    rate("2", country="US", region="TX", name="Austin local")
    rate("7", country="US", region="CA", name="California")
    # when 2 x 129.99 go to Austin, TX
    order = create(api, [(product("129.99"), 2)], address=AUSTIN)
    # then 8.25 % is charged, one row per rate, the state's and local's taxes summing to the line's
    line = order["line_items"][0]
    assert (line["tax_rate"], line["tax_amount"]) == ("8.2500", "21.45")
    assert [(r["name"], r["tax_amount"]) for r in order["taxes"]] == [("Austin local", "5.20"),
                                                                      ("Texas state", "16.25")]
    assert order["total"] == "281.43"


def test_the_guide_example_stays_untaxed_with_other_countries_configured(api: APIClient) -> None:
    # given German and French rates only
    german_rates()
    rate("20", country="FR", name="TVA 20%")
    # when the guide's order of 2 x 129.99 goes to Austin, TX, then it costs 259.98, untaxed (0 %)
    order = create(api, [(product("129.99"), 2)], address=AUSTIN)
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("259.98", "0.00", "259.98")
    assert order["line_items"][0]["tax_rate"] == "0.0000"
    assert order["taxes"] == [row("", "0.0000", "259.98", "0.00", country="")]


def test_a_class_without_a_rate_in_the_country_is_untaxed(api: APIClient) -> None:
    german_rates()
    TaxClass.objects.create(code="books", name="Books")
    order = create(api, [(product("10.00", tax_class="books"), 1), (product("10.00"), 1)])
    assert [line["tax_amount"] for line in order["line_items"]] == ["0.00", "1.90"]


def test_an_exempt_customer_pays_no_tax_and_the_invoice_says_why(api: APIClient) -> None:
    # given German rates and an exempt customer with a tax id
    german_rates()
    customer = CustomerFactory(tax_exempt=True, tax_exempt_reason="Intra-community supply", tax_id="FR123")
    # when it orders with shipping
    order = create(api, [(product("100.00"), 1)], customer=customer,
                   charges=[{"kind": "shipping", "amount": "5.00"}])
    # then nothing is taxed and the reason is shown, also on the invoice with its tax id
    assert (order["tax_total"], order["total"], order["tax_exempt_reason"]) == ("0.00", "105.00",
                                                                              "Intra-community supply")
    invoice = confirm(api, order["id"])
    assert (invoice["tax_exempt_reason"], invoice["customer_tax_id"]) == ("Intra-community supply", "FR123")


def test_an_exempt_customer_needs_a_reason(api: APIClient) -> None:
    response = api.post("/api/v1/sales/customers", {"name": "A", "email": "a@example.com", "tax_exempt": True},
                        format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "tax_exempt_reason"


def test_patch_changes_charges_and_prices_with_the_creation_dates_rates(api: APIClient) -> None:
    # given 16 % in the second half of 2020, then 19 %; a draft made today (19 %)
    rate("16", name="USt", valid_from=date(2020, 7, 1), valid_to=date(2020, 12, 31))
    rate("19", name="USt", valid_from=date(2021, 1, 1))
    desk = product("100.00")
    order = create(api, [(desk, 1)])
    assert order["tax_total"] == "19.00"
    # when the draft dates from August 2020 and its charges and lines are changed
    Order.objects.filter(pk=order["id"]).update(created_at=timezone.now().replace(year=2020, month=8, day=3))
    response = api.patch(order_url(order["id"]), {"charges": [{"kind": "handling", "amount": "10.00"}],
                                                  "line_items": [{"product_id": desk.pk, "quantity": 2}]},
                         format="json")
    # then it is priced with the rates of its creation date
    assert response.status_code == 200, response.content
    body = response.json()
    assert_adds_up(body)
    assert (body["subtotal"], body["charges_total"], body["tax_total"], body["total"]) == (
        "200.00", "10.00", "33.60", "243.60")
    # and removing the charges prices it again
    body = api.patch(order_url(order["id"]), {"charges": []}, format="json").json()
    assert (body["charges"], body["tax_total"], body["total"]) == ([], "32.00", "232.00")


def test_configuration_edits_change_no_existing_order_or_invoice(api: APIClient) -> None:
    # given a confirmed order and a draft, both taxed at 19 %
    german_rates()
    desk = product("100.00")
    confirmed = create(api, [(desk, 1)])
    invoice = confirm(api, confirmed["id"])
    draft = create(api, [(desk, 1)])
    # when the rate, the settings and the product's class change
    TaxRate.objects.filter(name="USt 19%").update(rate=Decimal("25"))
    tax_settings(prices_include_tax=True, rounding="document")
    # then the order, the draft and the invoice read as before
    assert api.get(order_url(confirmed["id"])).json() == {**api.get(order_url(confirmed["id"])).json(),
                                                          **{k: confirmed[k] for k in DOCUMENT_FIELDS}}
    for field in DOCUMENT_FIELDS[:-1]:
        assert api.get(f"{INVOICES_URL}/{invoice['id']}").json()[field] == invoice[field]
        assert api.get(order_url(draft["id"])).json()[field] == draft[field]


@pytest.mark.parametrize(("charge", "field"), [
    ({"kind": "shipping", "amount": "9.999"}, "charges[0].amount"),
    ({"kind": "shipping", "amount": "-1"}, "charges[0].amount"),
    ({"kind": "shipping", "amount": "5", "tax_class": "luxury"}, "charges[0].tax_class"),
    ({"kind": "postage", "amount": "5"}, "charges[0].kind"),
    ({"kind": "shipping"}, "charges[0].amount"),
])
def test_a_bad_charge_is_a_400_naming_it_and_writes_nothing(api: APIClient, charge: dict[str, Any],
                                                            field: str) -> None:
    german_rates()
    desk = product("100.00")
    draft = create(api, [(desk, 1)])
    before = (Order.objects.count(), api.get(order_url(draft["id"])).json())
    body = order_payload(CustomerFactory().pk, [(desk.pk, 1)], address=BERLIN)
    for response in (api.post(ORDERS_URL, {**body, "charges": [charge]}, format="json"),
                     api.patch(order_url(draft["id"]), {"charges": [charge]}, format="json")):
        assert response.status_code == 400, response.content
        assert field in {error["field"] for error in response.json()["errors"]}, response.json()
    assert (Order.objects.count(), api.get(order_url(draft["id"])).json()) == before


def test_jpy_charges_take_no_decimals(api: APIClient) -> None:
    response = api.post(ORDERS_URL, {**order_payload(CustomerFactory().pk, [(product("1300", currency="JPY").pk, 1)],
                                                     currency="JPY", address=BERLIN),
                                     "charges": [{"kind": "shipping", "amount": "500.5"}]}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "charges[0].amount"


def test_a_new_rate_from_tomorrow_does_not_apply_to_todays_draft(api: APIClient) -> None:
    german_rates()
    rate("1", name="Tomorrow's levy", valid_from=timezone.localdate() + timedelta(days=1))
    order = create(api, [(product("100.00"), 1)])
    assert order["tax_total"] == "19.00"
