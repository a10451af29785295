"""The request examples of the registration bodies, as a client or the docs page assembles them from the
OpenAPI document, are forms the registration service accepts, and realistic ones (issue 16): an organisation's
legal name is a company's, and a Vietnamese organisation's tax code is never shown beside a foreign
registration. The badge and the check-in name the QR payload alike (issue 16 item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from registration.schemas import EditionIn, OrganisationOnFile, OrganisationPatch, RegistrationIn
from scripts.openapi_file import document
from shared.validation import load


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The example a documentation tool shows: a field's own example first, else its parts' examples."""
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in schema:
        return example(next(s for s in schema["anyOf"] if s.get("type") != "null"), components)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "array" and "items" in schema:
        item = example(schema["items"], components)
        return [] if item is None else [item]
    if "properties" in schema:
        shown = {name: example(field, components) for name, field in schema["properties"].items()}
        return {
            name: value for name, value in shown.items() if value is not None or "example" in schema["properties"][name]
        }
    return None


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def body_example(doc: dict[str, Any], path: str, method: str = "post") -> Any:
    schema = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return example(schema, doc["components"]["schemas"])


@pytest.mark.parametrize(
    ("path", "method", "service_schema", "partial"),
    [
        ("/v1/organisations", "post", OrganisationOnFile, False),
        ("/v1/organisations/{organisation_id}", "patch", OrganisationPatch, True),
        ("/v1/editions/{edition_id}/registrations", "post", RegistrationIn, False),
        ("/v1/editions", "post", EditionIn, False),
    ],
)
def test_the_example_bodies_are_accepted(doc, path, method, service_schema, partial):
    body = body_example(doc, path, method)
    load(service_schema, body, partial=partial)  # raises InvalidInput with every field error otherwise


def test_the_organisation_example_is_a_vietnamese_company_not_a_conference(doc):
    for organisation in (
        body_example(doc, "/v1/organisations"),
        body_example(doc, "/v1/editions/{edition_id}/registrations")["organisation"],
    ):
        assert organisation["tax_code"] and organisation["foreign"] is None
        assert "Công ty" in organisation["legal_name"]["vi"] and "Hội nghị" not in organisation["legal_name"]["vi"]
    product = body_example(doc, "/v1/editions/{edition_id}/registrations")["products"][0]
    assert "Hội nghị" not in product["name"]["vi"]


def test_the_badge_answers_the_token_the_check_in_takes(doc):
    schemas = doc["components"]["schemas"]
    badge = doc["paths"]["/v1/participations/{participation_id}/badges/{delegate_id}"]["get"]["responses"]["200"]
    answered = schemas[badge["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    check_in = doc["paths"]["/v1/checkins"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    taken = schemas[check_in["$ref"].rsplit("/", 1)[-1]]
    assert "token" in answered["required"] and "token" in taken["required"]
