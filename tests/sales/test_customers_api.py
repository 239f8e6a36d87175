"""Customers API: /api/v1/sales/customers (create, read, list, update) with its field rules and roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from sales.models import Customer
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import assert_problem, error_fields, follow_pages, rows_of
from tests.sales.helpers import CUSTOMERS_URL as URL

pytestmark = pytest.mark.django_db

FIELDS = {"id", "name", "email", "phone", "default_shipping_address", "tax_id", "tax_exempt",
          "tax_exempt_reason", "price_list_id", "created_at", "updated_at"}
# token lookup, the user's permissions, its groups' permissions, the page itself
LIST_QUERY_BUDGET = 4
ADDRESS = {"line1": "1 Rue de Rivoli", "line2": "Bât. B", "city": "Paris", "state": "",
           "postal_code": "75001", "country": "FR"}


def detail_url(customer_id: str) -> str:
    return f"{URL}/{customer_id}"


def valid_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Acme Corp", "email": "buyer@acme.example", "phone": "+33 1 23 45 67 89",
        "default_shipping_address": dict(ADDRESS),
    }
    payload.update(overrides)
    return payload


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every customer row, to show a refused request changed nothing."""
    return rows_of(Customer)



# --- create ---------------------------------------------------------------------------------------------


def test_create_returns_201_with_the_customer(sales_api: APIClient) -> None:
    # when a sales user creates a customer
    response = sales_api.post(URL, valid_payload(), format="json")
    # then it is created with a prefixed id and every field
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"].startswith("cust_")
    assert body["name"] == "Acme Corp"
    assert body["email"] == "buyer@acme.example"
    assert body["phone"] == "+33 1 23 45 67 89"
    assert body["default_shipping_address"] == ADDRESS
    assert body["created_at"] and body["updated_at"]
    # and it is stored as returned
    stored = Customer.objects.get(pk=body["id"])
    assert stored.name == "Acme Corp"
    assert stored.default_shipping_address == ADDRESS


def test_create_accepts_a_trailing_slash(sales_api: APIClient) -> None:
    response = sales_api.post(f"{URL}/", valid_payload(), format="json")
    assert response.status_code == 201, response.content
    assert Customer.objects.filter(pk=response.json()["id"]).exists()


def test_create_upper_cases_the_country(sales_api: APIClient) -> None:
    address = {"line1": "1 Main St", "city": "Lyon", "country": "fr"}
    response = sales_api.post(URL, valid_payload(default_shipping_address=address), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["default_shipping_address"]["country"] == "FR"
    assert Customer.objects.get(pk=response.json()["id"]).default_shipping_address["country"] == "FR"


@pytest.mark.parametrize("address", [None, "omitted"])
def test_create_without_an_address(sales_api: APIClient, address: Any) -> None:
    payload = valid_payload(default_shipping_address=address)
    if address == "omitted":
        del payload["default_shipping_address"]
    response = sales_api.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["default_shipping_address"] is None


def _without(key: str) -> dict[str, Any]:
    payload = valid_payload()
    del payload[key]
    return payload


def _address(**changes: Any) -> dict[str, Any]:
    address = {**ADDRESS, **changes}
    return valid_payload(default_shipping_address={k: v for k, v in address.items() if v is not None})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (_without("name"), "name"),
        (valid_payload(name=""), "name"),
        (valid_payload(name="x" * 201), "name"),
        (_without("email"), "email"),
        (valid_payload(email="not-an-email"), "email"),
        (valid_payload(email="a@b@c.example"), "email"),
        (valid_payload(phone="1" * 33), "phone"),
        (_address(line1=None), "default_shipping_address.line1"),
        (_address(line1=""), "default_shipping_address.line1"),
        (_address(city=None), "default_shipping_address.city"),
        (_address(country=None), "default_shipping_address.country"),
        (_address(country="USA"), "default_shipping_address.country"),
        (_address(country="U"), "default_shipping_address.country"),
        (_address(country="1A"), "default_shipping_address.country"),
        (_address(country="ZZ"), "default_shipping_address.country"),
        (_address(country="United Kingdom"), "default_shipping_address.country"),
        (_address(country="un"), "default_shipping_address.country"),
        (_address(foo="bar"), "default_shipping_address.foo"),
        (valid_payload(default_shipping_address="1 Main St, Paris"), "default_shipping_address"),
        (valid_payload(default_shipping_address=["1 Main St"]), "default_shipping_address"),
    ],
    ids=[
        "name-missing", "name-blank", "name-too-long", "email-missing", "email-invalid", "email-two-ats",
        "phone-too-long", "line1-missing", "line1-blank", "city-missing", "country-missing",
        "country-3-letters", "country-1-letter", "country-digit", "country-unassigned", "country-name",
        "country-not-iso-3166", "address-unknown-key", "address-string",
        "address-list",
    ],
)
def test_create_refuses_an_invalid_field_and_names_it(
    sales_api: APIClient, payload: dict[str, Any], field: str
) -> None:
    # given no customers
    # when the payload breaks one field rule
    response = sales_api.post(URL, payload, format="json")
    # then a validation problem names that field
    body = assert_problem(response, 400, "validation_error")
    assert field in error_fields(body)
    assert body["detail"].startswith(f"{body['errors'][0]['field']}: ")
    # and nothing is created
    assert not Customer.objects.exists()


def test_create_with_malformed_json_is_400_malformed_request(sales_api: APIClient) -> None:
    response = sales_api.post(URL, data='{"name": "Acme", ', content_type="application/json")
    assert_problem(response, 400, "malformed_request")
    assert not Customer.objects.exists()


# --- retrieve -------------------------------------------------------------------------------------------


def test_retrieve_returns_the_customer(sales_api: APIClient) -> None:
    # given a customer created through the API
    created = sales_api.post(URL, valid_payload(), format="json").json()
    # when it is read back, with or without a trailing slash
    for url in (detail_url(created["id"]), detail_url(created["id"]) + "/"):
        response = sales_api.get(url)
        # then it is the same representation
        assert response.status_code == 200
        assert response.json() == created


@pytest.mark.parametrize(
    "customer_id",
    ["cust_nope", "cust_01ARZ3NDEKTSV4RRFFQ69G5FAV", "PRODUCT", "x" * 300, "1 OR 1=1", "'; --", "ünïcødé",
     "cust_%", "*", "null"],
)
def test_unknown_or_malformed_id_is_404(sales_api: APIClient, customer_id: str) -> None:
    # given a customer and a product (whose id must not resolve as a customer's)
    CustomerFactory()
    if customer_id == "PRODUCT":
        customer_id = ProductFactory().pk
    before = snapshot()
    # when an id that is not a customer's is read or updated
    url = detail_url(quote(customer_id, safe=""))
    body = assert_problem(sales_api.get(url), 404, "not_found")
    assert body["instance"].startswith(URL)
    assert_problem(sales_api.patch(url, {"name": "Hijacked"}, format="json"), 404, "not_found")
    # then nothing changed
    assert snapshot() == before


# --- list: filters, sorting ------------------------------------------------------------------------------


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_list_returns_the_envelope(sales_api: APIClient) -> None:
    CustomerFactory.create_batch(2)
    for url in (URL, f"{URL}/"):
        body = sales_api.get(url).json()
        assert set(body) == {"next", "previous", "results"}
        assert len(body["results"]) == 2
        assert set(body["results"][0]) == FIELDS


def test_list_filters_by_email_case_insensitively_and_exactly(sales_api: APIClient) -> None:
    # given customers with similar e-mails
    CustomerFactory(name="Match", email="Buyer@Example.com")
    CustomerFactory(name="Longer", email="buyer@example.com.au")
    CustomerFactory(name="Prefix", email="xbuyer@example.com")
    # when filtering by the e-mail in another case
    response = sales_api.get(URL, {"email": "BUYER@example.COM"})
    # then only the exact (case-insensitive) match is listed
    assert _names(response) == ["Match"]


def test_list_search_matches_part_of_the_name(sales_api: APIClient) -> None:
    CustomerFactory(name="Acme Corp")
    CustomerFactory(name="Big ACME Ltd")
    CustomerFactory(name="Globex")
    assert sorted(_names(sales_api.get(URL, {"search": "acme"}))) == ["Acme Corp", "Big ACME Ltd"]
    assert _names(sales_api.get(URL, {"search": "initech"})) == []


def test_list_sorts_by_name_and_by_created_at_descending(sales_api: APIClient) -> None:
    # given customers whose name order, creation order and id order all differ
    base = datetime(2025, 1, 1, tzinfo=UTC)
    CustomerFactory(name="Bravo", created_at=base + timedelta(days=3))
    CustomerFactory(name="Delta", created_at=base + timedelta(days=1))
    CustomerFactory(name="Alpha", created_at=base + timedelta(days=2))
    CustomerFactory(name="Charlie", created_at=base)
    # then sort=name is alphabetical and sort=-created_at newest first
    assert _names(sales_api.get(URL, {"sort": "name"})) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert _names(sales_api.get(URL, {"sort": "-name"})) == ["Delta", "Charlie", "Bravo", "Alpha"]
    assert _names(sales_api.get(URL, {"sort": "-created_at"})) == ["Bravo", "Alpha", "Delta", "Charlie"]
    # and the default is newest id first
    assert _names(sales_api.get(URL)) == ["Charlie", "Alpha", "Delta", "Bravo"]


@pytest.mark.parametrize("sort", ["bogus", "-phone", "name,password", "default_shipping_address"])
def test_list_with_unknown_sort_field_is_400(sales_api: APIClient, sort: str) -> None:
    CustomerFactory()
    body = assert_problem(sales_api.get(URL, {"sort": sort}), 400, "validation_error")
    assert body["errors"][0]["field"] == "sort"


# --- update ---------------------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(sales_api: APIClient) -> None:
    # given a customer
    customer = CustomerFactory(name="Old Name", phone="123")
    before = Customer.objects.get(pk=customer.pk)
    # when only the name is patched
    response = sales_api.patch(detail_url(customer.pk), {"name": "New Name"}, format="json")
    # then the name changes and everything else stays
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "New Name"
    after = Customer.objects.get(pk=customer.pk)
    assert after.name == "New Name"
    assert (after.email, after.phone, after.default_shipping_address, after.created_at) == (
        before.email, before.phone, before.default_shipping_address, before.created_at)
    assert after.updated_at > before.updated_at


def test_patch_replaces_the_whole_address_and_upper_cases_country(sales_api: APIClient) -> None:
    customer = CustomerFactory()
    new_address = {"line1": "9 Quay St", "city": "Dublin", "country": "ie"}
    response = sales_api.patch(detail_url(customer.pk), {"default_shipping_address": new_address}, format="json")
    assert response.status_code == 200, response.content
    expected = {**new_address, "country": "IE"}
    assert response.json()["default_shipping_address"] == expected
    assert Customer.objects.get(pk=customer.pk).default_shipping_address == expected


def test_patch_can_clear_the_address(sales_api: APIClient) -> None:
    customer = CustomerFactory()
    response = sales_api.patch(detail_url(customer.pk), {"default_shipping_address": None}, format="json")
    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=customer.pk).default_shipping_address is None


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"email": "nope"}, {"email"}),
        ({"name": ""}, {"name"}),
        # a PATCH replaces the address whole, so a partial address is incomplete, not merged
        ({"default_shipping_address": {"city": "Paris"}},
         {"default_shipping_address.line1", "default_shipping_address.country"}),
        ({"default_shipping_address": {**ADDRESS, "country": "FRA"}}, {"default_shipping_address.country"}),
        ({"default_shipping_address": {**ADDRESS, "planet": "Earth"}}, {"default_shipping_address.planet"}),
    ],
    ids=["email", "blank-name", "partial-address", "bad-country", "unknown-address-key"],
)
def test_patch_refuses_invalid_fields_and_changes_nothing(
    sales_api: APIClient, payload: dict[str, Any], fields: set[str]
) -> None:
    # given a customer
    customer = CustomerFactory()
    before = snapshot()
    # when an invalid change is patched
    body = assert_problem(sales_api.patch(detail_url(customer.pk), payload, format="json"), 400, "validation_error")
    # then every bad field is named and the row is untouched
    assert fields <= set(error_fields(body))
    assert snapshot() == before
    # and the customer is still readable
    assert sales_api.get(detail_url(customer.pk)).status_code == 200


def test_patch_with_malformed_json_changes_nothing(sales_api: APIClient) -> None:
    customer = CustomerFactory()
    before = snapshot()
    response = sales_api.patch(detail_url(customer.pk), data="{name: x}", content_type="application/json")
    assert_problem(response, 400, "malformed_request")
    assert snapshot() == before


def test_put_replaces_the_customer(sales_api: APIClient) -> None:
    # given a customer
    customer = CustomerFactory()
    # when it is replaced
    replacement = valid_payload(name="Replaced", email="new@example.com", phone="555")
    response = sales_api.put(detail_url(customer.pk), replacement, format="json")
    # then every field has the new value and the id stays
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == customer.pk
    assert {k: body[k] for k in replacement} == replacement
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.email, stored.phone, stored.default_shipping_address) == (
        "Replaced", "new@example.com", "555", ADDRESS)


def test_put_without_required_fields_is_400_and_changes_nothing(sales_api: APIClient) -> None:
    customer = CustomerFactory()
    before = snapshot()
    body = assert_problem(sales_api.put(detail_url(customer.pk), {"name": "Only"}, format="json"),
                          400, "validation_error")
    assert error_fields(body) == ["email"]
    assert snapshot() == before


def test_delete_is_not_allowed(sales_api: APIClient) -> None:
    customer = CustomerFactory()
    assert_problem(sales_api.delete(detail_url(customer.pk)), 405, "method_not_allowed")
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- roles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "finance"])
def test_view_only_roles_can_read_but_not_write(client_for: Callable[..., APIClient], role: str) -> None:
    # given a customer and a user of a role that may only view customers
    customer = CustomerFactory(name="Keep Me")
    api = client_for(role)
    before = snapshot()
    # then reading works
    assert [row["id"] for row in api.get(URL).json()["results"]] == [customer.pk]
    assert api.get(detail_url(customer.pk)).json()["name"] == "Keep Me"
    # and creating, patching and replacing are refused
    assert_problem(api.post(URL, valid_payload(), format="json"), 403, "permission_denied")
    assert_problem(api.patch(detail_url(customer.pk), {"name": "Changed"}, format="json"), 403,
                   "permission_denied")
    assert_problem(api.put(detail_url(customer.pk), valid_payload(name="Changed"), format="json"), 403,
                   "permission_denied")
    # and nothing was created or changed
    assert snapshot() == before


def test_sales_role_may_create_update_and_view(sales_api: APIClient) -> None:
    created = sales_api.post(URL, valid_payload(), format="json")
    assert created.status_code == 201
    customer_id = created.json()["id"]
    assert sales_api.patch(detail_url(customer_id), {"phone": "42"}, format="json").status_code == 200
    assert sales_api.put(detail_url(customer_id), valid_payload(), format="json").status_code == 200
    assert sales_api.get(detail_url(customer_id)).status_code == 200
    assert len(sales_api.get(URL).json()["results"]) == 1


def test_user_without_a_role_is_refused_everything(client_for: Callable[..., APIClient]) -> None:
    customer = CustomerFactory()
    api = client_for()
    before = snapshot()
    assert_problem(api.get(URL), 403, "permission_denied")
    assert_problem(api.get(detail_url(customer.pk)), 403, "permission_denied")
    assert_problem(api.post(URL, valid_payload(), format="json"), 403, "permission_denied")
    assert snapshot() == before


def test_superuser_may_do_everything(admin_api: APIClient) -> None:
    response = admin_api.post(URL, valid_payload(), format="json")
    assert response.status_code == 201
    assert admin_api.patch(detail_url(response.json()["id"]), {"name": "Z"}, format="json").status_code == 200


def test_anonymous_request_is_401_and_creates_nothing(anon_api: APIClient) -> None:
    assert_problem(anon_api.post(URL, valid_payload(), format="json"), 401, "not_authenticated")
    assert not Customer.objects.exists()


# --- pagination -----------------------------------------------------------------------------------------


def test_limit_and_next_link_walk_every_customer_once(sales_api: APIClient) -> None:
    # given five customers
    ids = {c.pk for c in CustomerFactory.create_batch(5)}
    # when the first page is limited to 2
    first = sales_api.get(URL, {"limit": 2}).json()
    # then it has 2 results and a next link
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"]
    # and following next reaches every customer exactly once, newest first
    rows, pages = follow_pages(sales_api, f"{URL}?limit=2")
    seen = [row["id"] for row in rows]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == ids
    assert seen == sorted(ids, reverse=True)


def test_limit_is_at_most_200_and_defaults_to_50(sales_api: APIClient) -> None:
    # given 205 customers
    CustomerFactory.create_batch(205)
    # when asking for the maximum
    page = sales_api.get(URL, {"limit": 200}).json()
    # then a page holds 200, and the rest is on the next page
    assert len(page["results"]) == 200
    assert len(sales_api.get(page["next"]).json()["results"]) == 5
    # and more than the maximum is refused, as the schema's bounds say
    assert sales_api.get(URL, {"limit": 1000}).json()["errors"][0]["field"] == "limit"
    # and without a limit, a page holds 50
    assert len(sales_api.get(URL).json()["results"]) == 50


def test_list_query_count_does_not_grow_with_the_page_size(
    sales_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    # given a warmed-up token (its first use records last_used_at, an extra write)
    sales_api.get(URL)
    # when listing a page of 5, then a page of 100
    CustomerFactory.create_batch(5)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(sales_api.get(URL, {"limit": 5}).json()["results"]) == 5
    CustomerFactory.create_batch(95)
    # then both stay within the same small budget: no query per row
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(sales_api.get(URL, {"limit": 100}).json()["results"]) == 100
