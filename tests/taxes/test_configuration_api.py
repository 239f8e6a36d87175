"""The tax configuration through the API: classes, rates (filters, overlap), settings; who may change it; every
bad input a 400 naming the field with nothing written; deleting a class in use a 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from taxes.models import TaxClass, TaxRate, TaxSettings
from tests.factories import ProductFactory

CLASSES_URL = "/api/v1/taxes/classes"
RATES_URL = "/api/v1/taxes/rates"
SETTINGS_URL = "/api/v1/taxes/settings"
DE_STANDARD = {"tax_class": "standard", "country": "DE", "region": "", "name": "USt 19%", "rate": "19.00",
               "valid_from": "2026-01-01", "valid_to": None}


@pytest.fixture
def finance(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("finance")


def rate(api: APIClient, **changes: Any) -> dict[str, Any]:
    response = api.post(RATES_URL, {**DE_STANDARD, **changes}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def snapshot() -> tuple[list[Any], list[Any], list[Any]]:
    return (list(TaxClass.objects.values_list("code", "name")), list(TaxRate.objects.values()),
            list(TaxSettings.objects.values("prices_include_tax", "rounding")))


def test_the_migration_creates_standard_and_zero(finance: APIClient) -> None:
    # when the classes are listed, then the migration's two are there
    codes = [row["code"] for row in finance.get(CLASSES_URL).json()["results"]]
    assert {"standard", "zero"} <= set(codes)


def test_classes_crud(finance: APIClient) -> None:
    # given a new class
    created = finance.post(CLASSES_URL, {"code": "reduced", "name": "Reduced rate"}, format="json")
    assert created.status_code == 201 and created.json()["code"] == "reduced"
    # when it is renamed, then it reads back renamed
    assert finance.patch(f"{CLASSES_URL}/reduced", {"name": "Reduced"}, format="json").status_code == 200
    assert finance.get(f"{CLASSES_URL}/reduced").json()["name"] == "Reduced"
    # and an unused class can be deleted
    assert finance.delete(f"{CLASSES_URL}/reduced").status_code == 204
    assert not TaxClass.objects.filter(code="reduced").exists()


@pytest.mark.parametrize("use", ["product", "rate", "standard"])
def test_deleting_a_class_in_use_is_a_409(finance: APIClient, use: str) -> None:
    # given a class a product or a rate names (or the standard class, every product's default)
    code = "standard" if use == "standard" else "reduced"
    TaxClass.objects.get_or_create(code=code, defaults={"name": code})
    if use == "product":
        ProductFactory(tax_class_id=code)
    elif use == "rate":
        rate(finance, tax_class=code)
    before = snapshot()
    # when it is deleted, then 409 and it stays
    response = finance.delete(f"{CLASSES_URL}/{code}")
    assert response.status_code == 409 and response.json()["code"] == "tax_class_in_use"
    assert snapshot() == before


def test_rates_crud(finance: APIClient) -> None:
    # given a rate
    created = rate(finance)
    assert created["id"].startswith("txr_") and created["rate"] == "19.0000" and created["valid_to"] is None
    # when it is changed, then it reads back changed
    changed = finance.patch(f"{RATES_URL}/{created['id']}", {"rate": "8.2500", "valid_to": "2026-12-31"},
                            format="json")
    assert changed.status_code == 200, changed.content
    assert finance.get(f"{RATES_URL}/{created['id']}").json()["rate"] == "8.2500"
    # and deleted, it is gone
    assert finance.delete(f"{RATES_URL}/{created['id']}").status_code == 204
    assert finance.get(f"{RATES_URL}/{created['id']}").status_code == 404


def test_rates_filters(finance: APIClient) -> None:
    # given rates in two countries, two classes and two periods
    TaxClass.objects.create(code="reduced", name="Reduced")
    old = rate(finance, rate="16", valid_to="2025-12-31", valid_from="2025-07-01")
    new = rate(finance)
    reduced = rate(finance, tax_class="reduced", name="USt 7%", rate="7")
    french = rate(finance, country="FR", name="TVA 20%", rate="20")

    def ids(query: str) -> set[str]:
        response = finance.get(f"{RATES_URL}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    # then each filter keeps exactly its rates
    assert ids("country=fr") == {french["id"]}
    assert ids("tax_class=reduced") == {reduced["id"]}
    assert ids("country=DE&active_on=2025-12-31") == {old["id"]}
    assert ids("country=DE&active_on=2026-06-01") == {new["id"], reduced["id"]}
    assert finance.get(f"{RATES_URL}?active_on=yesterday").status_code == 400


@pytest.mark.parametrize(("first", "second"), [
    ({}, {"valid_from": "2027-01-01"}),
    ({"valid_to": "2026-12-31"}, {"valid_from": "2026-12-31"}),
    ({"valid_from": "2026-06-01"}, {"valid_from": "2026-01-01", "valid_to": "2026-06-01"}),
])
def test_overlapping_validity_is_a_400(finance: APIClient, first: dict[str, Any], second: dict[str, Any]) -> None:
    # given a rate
    rate(finance, **first)
    before = snapshot()
    # when another of the same class, country, region and name overlaps it, then 400 and nothing written
    response = finance.post(RATES_URL, {**DE_STANDARD, **second}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "valid_from"
    assert snapshot() == before


def test_adjacent_periods_and_other_names_do_not_overlap(finance: APIClient) -> None:
    # given a rate until the end of 2026, then the next from 2027, and a local rate beside the state's
    rate(finance, valid_to="2026-12-31")
    rate(finance, valid_from="2027-01-01", rate="20")
    rate(finance, name="City tax", rate="1")
    assert TaxRate.objects.count() == 3


@pytest.mark.parametrize(("field", "changes"), [
    ("rate", {"rate": "19.00001"}),
    ("rate", {"rate": 19.00001}),
    ("rate", {"rate": "-1"}),
    ("rate", {"rate": ""}),
    ("rate", {"rate": True}),
    ("country", {"country": "ZZ"}),
    ("country", {"country": "Germany"}),
    ("tax_class", {"tax_class": "luxury"}),
    ("valid_to", {"valid_to": "2025-01-01"}),
    ("valid_from", {"valid_from": "01/01/2026"}),
    ("name", {"name": ""}),
])
def test_bad_rates_are_a_400_naming_the_field(finance: APIClient, field: str, changes: dict[str, Any]) -> None:
    before = snapshot()
    # when a bad rate is sent, then 400 naming the field, and nothing written
    response = finance.post(RATES_URL, {**DE_STANDARD, **changes}, format="json")
    assert response.status_code == 400, response.content
    assert field in {error["field"] for error in response.json()["errors"]}
    assert snapshot() == before


def test_a_bad_change_of_a_rate_is_a_400_and_changes_nothing(finance: APIClient) -> None:
    created = rate(finance)
    before = snapshot()
    response = finance.patch(f"{RATES_URL}/{created['id']}", {"rate": "1.23456"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "rate"
    response = finance.patch(f"{RATES_URL}/{created['id']}", {"tax_class": "nope"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "tax_class"
    assert snapshot() == before


def test_settings_read_and_replace(finance: APIClient) -> None:
    # given the defaults
    assert finance.get(SETTINGS_URL).json() == {"prices_include_tax": False, "rounding": "line"}
    # when replaced, then they read back
    body = {"prices_include_tax": True, "rounding": "document"}
    assert finance.put(SETTINGS_URL, body, format="json").json() == body
    assert finance.get(f"{SETTINGS_URL}/").json() == body
    # and a bad rounding is a 400 naming it, nothing changed
    response = finance.put(SETTINGS_URL, {"prices_include_tax": False, "rounding": "bankers"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "rounding"
    assert finance.get(SETTINGS_URL).json() == body


@pytest.mark.parametrize("role", ["sales", "warehouse", "integrations"])
def test_every_role_reads_and_only_finance_changes(client_for: Callable[..., APIClient], role: str) -> None:
    # given a rate and a staff member of another role
    created = rate(client_for("finance"))
    api = client_for(role)
    before = snapshot()
    # then they read everything
    for url in (CLASSES_URL, RATES_URL, SETTINGS_URL, f"{RATES_URL}/{created['id']}", f"{CLASSES_URL}/zero"):
        assert api.get(url).status_code == 200, url
    # and every change is a 403 that changes nothing
    refused = [
        api.post(CLASSES_URL, {"code": "x", "name": "X"}, format="json"),
        api.patch(f"{CLASSES_URL}/zero", {"name": "Z"}, format="json"),
        api.delete(f"{CLASSES_URL}/zero"),
        api.post(RATES_URL, {**DE_STANDARD, "name": "Other"}, format="json"),
        api.patch(f"{RATES_URL}/{created['id']}", {"rate": "1"}, format="json"),
        api.delete(f"{RATES_URL}/{created['id']}"),
        api.put(SETTINGS_URL, {"prices_include_tax": True, "rounding": "line"}, format="json"),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert snapshot() == before


def test_a_superuser_changes_the_configuration(client_for: Callable[..., APIClient]) -> None:
    admin = client_for(superuser=True)
    assert admin.post(CLASSES_URL, {"code": "reduced", "name": "Reduced"}, format="json").status_code == 201
    assert rate(admin, tax_class="reduced")["tax_class"] == "reduced"
