"""The tax configuration in the back-office, reached by clicking from the admin index: finance adds and changes
rates, classes and the settings (refusals shown on the form, nothing written); other roles read them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from taxes.models import TaxClass, TaxRate, TaxSettings
from tests.admin.helpers import form_errors, page_form
from tests.admin.navigation import click, open_from_index
from tests.factories import ProductFactory
from tests.taxes.helpers import rate

pytestmark = pytest.mark.django_db


def add_button(client: Client, page: Any) -> Any:
    """Press the list's add button (the round "+" whose title reads "Add …")."""
    found = re.search(r'<a href="([^"]+/add/)" class="addlink', page.content.decode())
    assert found, "no add button"
    add = client.get(found.group(1))
    assert add.status_code == 200
    return add


def rate_form(page: object, **values: str) -> dict[str, str]:
    return {**page_form(page, "taxrate_form"), **values}


def test_finance_adds_a_rate_by_clicking_from_the_index(login: Callable[..., Client]) -> None:
    # given finance on the rates list (index -> Taxes -> Tax rates)
    client = login("finance")
    rates = click(client, client.get("/admin/"), "Tax rates")
    # when it adds DE 19 % through the add form
    add = add_button(client, rates)
    data = rate_form(add, tax_class="standard", country="DE", name="USt 19%", rate="19.00",
                     valid_from="2026-01-01", valid_to="")
    response = client.post(add.wsgi_request.path, data, follow=True)
    # then the rate is there, with its txr_ id, and listed
    assert response.status_code == 200 and not form_errors(response), form_errors(response)
    saved = TaxRate.objects.get()
    assert saved.pk.startswith("txr_") and saved.rate == Decimal("19.0000")
    # and an overlapping rate is refused on the form, nothing written
    again = add_button(client, click(client, client.get("/admin/"), "Tax rates"))
    refused = client.post(again.wsgi_request.path, rate_form(again, tax_class="standard", country="DE",
                                                              name="USt 19%", rate="20", valid_from="2026-06-01"))
    assert "Overlaps" in form_errors(refused)
    assert TaxRate.objects.count() == 1


def test_a_bad_percent_is_refused_on_the_form(login: Callable[..., Client]) -> None:
    client = login("finance")
    add = add_button(client, click(client, client.get("/admin/"), "Tax rates"))
    refused = client.post(add.wsgi_request.path, rate_form(add, tax_class="standard", country="DE", name="X",
                                                           rate="19.00001", valid_from="2026-01-01"))
    assert form_errors(refused) and not TaxRate.objects.exists()


def test_finance_changes_the_settings(login: Callable[..., Client]) -> None:
    # given finance on the settings (index -> Tax settings -> the row)
    client = login("finance")
    page = open_from_index(client, "Tax settings", "Prices and rounding")
    # when it makes prices include tax, rounded per document
    data = {**page_form(page, "taxsettings_form"), "prices_include_tax": "on", "rounding": "document"}
    response = client.post(page.wsgi_request.path, data, follow=True)
    # then the settings say so
    assert response.status_code == 200 and not form_errors(response)
    settings = TaxSettings.objects.get()
    assert (settings.prices_include_tax, settings.rounding) == (True, "document")


def test_deleting_a_class_in_use_is_refused(login: Callable[..., Client]) -> None:
    # given a class a product names
    TaxClass.objects.create(code="reduced", name="Reduced")
    ProductFactory(tax_class_id="reduced")
    client = login("finance")
    page = open_from_index(client, "Tax classes", "reduced")
    # when finance tries to delete it, then it stays (the admin names what protects it)
    delete = click(client, page, "Delete")
    client.post(delete.wsgi_request.path, {"post": "yes"}, follow=True)
    assert TaxClass.objects.filter(code="reduced").exists()


def test_finance_adds_a_class(login: Callable[..., Client]) -> None:
    client = login("finance")
    add = add_button(client, click(client, client.get("/admin/"), "Tax classes"))
    response = client.post(add.wsgi_request.path, {**page_form(add, "taxclass_form"), "code": "reduced",
                                                    "name": "Reduced rate"}, follow=True)
    assert response.status_code == 200 and not form_errors(response)
    assert TaxClass.objects.get(code="reduced").name == "Reduced rate"


@pytest.mark.parametrize("role", ["sales", "warehouse", "integrations"])
def test_other_roles_read_the_configuration(login: Callable[..., Client], role: str) -> None:
    # given a rate
    rate("19", name="USt 19%", valid_from=date(2026, 1, 1))
    client = login(role)
    # when they open it from the index, then they read it and may not change it
    page = open_from_index(client, "Tax rates", "USt 19%")
    assert "USt 19%" in page.content.decode()
    assert client.post(page.wsgi_request.path, rate_form(page, rate="1")).status_code == 403
    assert TaxRate.objects.get().rate == Decimal("19.0000")
    open_from_index(client, "Tax settings", "Prices and rounding")
    open_from_index(client, "Tax classes", "standard")
