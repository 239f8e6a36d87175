"""The served OpenAPI schema is the contract: one ``status`` parameter, every status each operation can return
with the problem schema of each code, request bodies as strict as the server, ETag and If-Match documented."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from synthesq.core.errors import DomainError
from synthesq.core.problem_schemas import PROBLEM_DOCS

WRITES = {"post", "put", "patch", "delete"}
CONDITIONAL = {
    ("patch", "/api/v1/sales/customers/{id}"), ("put", "/api/v1/sales/customers/{id}"),
    ("patch", "/api/v1/inventory/products/{id}"), ("put", "/api/v1/inventory/products/{id}"),
    ("patch", "/api/v1/sales/orders/{id}"), ("patch", "/api/v1/sales/orders/{id}/status"),
    ("patch", "/api/v1/sales/invoices/{id}/status"), ("patch", "/api/v1/sales/returns/{id}/status"),
    ("patch", "/api/v1/sales/shipments/{id}/status"),
    ("patch", "/api/v1/webhook-endpoints/{id}"),
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in schema["paths"].items() for method, op in item.items()]


def _resolve(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


@pytest.mark.parametrize(("path", "statuses"), [
    ("/api/v1/sales/orders", ["draft", "confirmed", "processing", "shipped", "delivered", "closed", "cancelled"]),
    ("/api/v1/sales/invoices", ["draft", "issued", "paid", "void"]),
])
def test_status_is_declared_once_as_an_exploded_array(schema: dict[str, Any], path: str,
                                                      statuses: list[str]) -> None:
    parameters = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"].startswith("status")]
    assert len(parameters) == 1
    [status] = parameters
    assert (status["name"], status["in"], status["style"], status["explode"]) == ("status", "query", "form", True)
    assert status["schema"]["type"] == "array" and sorted(status["schema"]["items"]["enum"]) == sorted(statuses)
    assert "status[]=" in status["description"] and "comma-separated" in status["description"]


def test_every_operation_documents_every_status_it_can_return(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        documented = set(operation["responses"])
        expected = {"400", "401", "403", "406", "413", "429"}
        if "{id}" in path:
            expected.add("404")
        if method in WRITES:
            expected |= {"409", "415"}
        if (method, path) in CONDITIONAL:
            expected.add("412")
        assert expected <= documented, (method, path, expected - documented)
        assert ("412" in documented) == ((method, path) in CONDITIONAL), (method, path)


def test_every_problem_response_names_its_codes_schemas(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            media = response["content"]["application/problem+json"]["schema"]
            refs = [branch["$ref"] for branch in media["oneOf"]] if "oneOf" in media else [media["$ref"]]
            for ref in refs:
                component = _resolve(schema, ref)
                assert component["allOf"][0] == {"$ref": "#/components/schemas/Problem"}, ref
                code = component["allOf"][1]["properties"]["code"]["enum"]
                assert len(code) == 1, ref
                if "oneOf" in media:
                    assert media["discriminator"]["mapping"][code[0]] == ref
            assert int(status) in {doc.status for doc in PROBLEM_DOCS.values()}, (method, path, status)


def test_problem_members_are_typed(schema: dict[str, Any]) -> None:
    stock = _resolve(schema, "InsufficientStockProblem")["allOf"][1]
    assert stock["required"] == ["code", "lines"]
    assert stock["properties"]["lines"]["items"] == {"$ref": "#/components/schemas/InsufficientStockLine"}
    transition = _resolve(schema, "InvalidTransitionProblem")["allOf"][1]["properties"]
    assert {"current_status", "requested_status", "allowed_statuses"} <= set(transition)
    change = schema["paths"]["/api/v1/sales/orders/{id}/status"]["patch"]["responses"]
    assert set(change["422"]["content"]["application/problem+json"]["schema"]["discriminator"]["mapping"]) == {
        "insufficient_stock", "product_has_variants", "promotion_code_invalid", "promotion_code_expired",
        "promotion_code_exhausted"}
    assert change["429"]["headers"]["Retry-After"]["required"] is True
    assert change["412"]["headers"]["ETag"]["required"] is True


def test_every_domain_error_code_has_its_problem_schema() -> None:
    documented = {doc.code for doc in PROBLEM_DOCS.values()}

    def subclasses(cls: type) -> list[type]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in subclasses(child))]

    own_codes = {cls.code for cls in subclasses(DomainError) if "code" in vars(cls)} - {"domain_error",
                                                                                         "business_rule_violation"}
    assert own_codes <= documented, own_codes - documented


def test_request_bodies_refuse_unknown_members(schema: dict[str, Any]) -> None:
    requests = {name: s for name, s in schema["components"]["schemas"].items() if name.endswith("Request")}
    assert len(requests) >= 12
    for name, component in requests.items():
        assert component.get("additionalProperties") is False, name


def test_inputs_are_declared_strictly(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    currencies = components["CurrencyEnum"]["enum"]
    assert {"USD", "JPY", "BHD", "EUR"} <= set(currencies) and "XXX" not in currencies
    for name in ("OrderStatusInputRequest", "InvoiceStatusInputRequest"):
        assert components[name]["required"] == ["status"], name
    line = components["LineItemInputRequest"]["properties"]
    assert line["unit_price"]["oneOf"][0]["minimum"] == 0
    assert line["unit_price"]["oneOf"][1]["pattern"] == r"^[0-9]{1,14}(\.[0-9]{1,4})?$"
    assert components["OrderCreateInputRequest"]["properties"]["line_items"]["minItems"] == 1
    assert components["CustomerInputRequest"]["properties"]["phone"]["pattern"].startswith("^[^\\x00")
    for _method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "limit":
                assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 200), path
            if parameter["name"] == "sort":
                assert parameter["schema"]["items"]["enum"], path
            if parameter["name"] in ("active", "on_hold", "overdue"):
                assert parameter["schema"] == {"type": "boolean"}, path
    stock = next(p for p in schema["paths"]["/api/v1/inventory/products"]["get"]["parameters"]
                 if p["name"] == "stock_lte")
    assert stock["schema"] == {"type": "integer", "minimum": 0, "maximum": 2_000_000_000}


def test_single_resources_document_etag_and_conditional_changes_if_match(schema: dict[str, Any]) -> None:
    for method, path, operation in _operations(schema):
        if_match = [p for p in operation.get("parameters", []) if p["name"] == "If-Match"]
        assert bool(if_match) == ((method, path) in CONDITIONAL), (method, path)
        ok = operation["responses"].get("200", {})
        if (method, path) in CONDITIONAL or (method == "get" and path.endswith("{id}")):
            assert ok["headers"]["ETag"]["required"] is True, (method, path)
