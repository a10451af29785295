"""Every request body in the OpenAPI document has an example (services/gateway/gateway/examples.py), and
every example is valid: against the operation's schema in the document, and in full where the body is
checked, the owning service's own schema (tax code check digits, phone numbers, dates in order, provinces
of the edition's dates), or the gateway's where the gateway reads the body itself.  A client developer who
copies an example gets a request that passes validation.  tests/e2e/test_request_examples.py submits each
one to a running system."""

from __future__ import annotations

import ast
import copy
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from marshmallow import Schema, ValidationError

from gateway import examples
from gateway import schemas as gateway_schemas
from gateway.openapi import openapi_document
from gateway.service import GatewayService
from registration.domain.taxcode import parse_tax_code
from shared import config
from tests.contract.test_service_seam import RPCS, SERVICE_CLASSES
from tests.support import seam

DOCUMENT = openapi_document(GatewayService)
WITH_BODY = {
    op["operationId"]: (method.upper(), path, op["requestBody"]["content"]["application/json"])
    for path, ops in DOCUMENT["paths"].items()
    for method, op in ops.items()
    if "requestBody" in op
}


def _checked_by() -> dict[str, list[tuple[str, type[Schema]]]]:
    """operationId -> (where, schema) of every schema that loads the body in full: the service's schema for
    each RPC the route hands the body to, or the gateway's own where the route reads it (``reads_body``)."""
    found: dict[str, list[tuple[str, type[Schema]]]] = {}
    for path in sorted((seam.ROOT / "services/gateway/gateway").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = str(path.relative_to(seam.ROOT))
        calls = list(seam.gateway_calls(source, where))
        routes = {int(r.where.rsplit(":", 1)[1]): r for r in seam.routes_with_bodies(source, where)}
        for function in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)):
            route = routes.get(function.lineno)
            if route is None:
                continue
            lines = range(function.lineno, (function.end_lineno or function.lineno) + 1)
            schemas = found.setdefault(function.name, [])
            if route.reads_body:
                schemas.append((f"gateway {route.schema}", getattr(gateway_schemas, route.schema)))
            for call in calls:
                if int(call.where.rsplit(":", 1)[1]) not in lines:
                    continue
                for position, name in call.bodies:
                    if name != route.schema:
                        continue
                    method = RPCS[call.service][call.method]
                    loaded = seam.loaded_schema(
                        method, seam.parameter_of(method, position), SERVICE_CLASSES[call.service]
                    )
                    assert loaded is not None, f"{call.where}: {call.service}.{call.method} loads no schema"
                    schemas.append((f"{call.service}.{call.method} {loaded.__name__}", loaded))
    return found


CHECKED_BY = _checked_by()


@pytest.fixture(autouse=True)
def production_settings(monkeypatch):
    """Rules as in production: a webhook URL is https://, not a development machine's loopback."""
    monkeypatch.delenv("KETNOI_DEV_MODE", raising=False)
    monkeypatch.setenv("KETNOI_JWT_SECRET", "contract-test-secret-not-used-for-tokens")
    if hasattr(config.settings, "cache_clear"):
        config.settings.cache_clear()
    yield
    if hasattr(config.settings, "cache_clear"):
        config.settings.cache_clear()


def test_the_document_has_the_bodies_the_examples_are_for():
    assert len(WITH_BODY) >= 41
    assert set(examples.EXAMPLES) - set(WITH_BODY) == set(), "examples of operations that take no body"


@pytest.mark.parametrize("operation_id", sorted(WITH_BODY))
def test_every_request_body_has_an_example_in_the_document(operation_id):
    _, _, media = WITH_BODY[operation_id]
    assert media.get("example") == examples.EXAMPLES.get(operation_id) is not None


@pytest.mark.parametrize("operation_id", sorted(WITH_BODY))
def test_each_example_matches_the_operation_s_schema_in_the_document(operation_id):
    _, _, media = WITH_BODY[operation_id]
    validator = Draft202012Validator(
        {**media["schema"], "components": DOCUMENT["components"]}, format_checker=FormatChecker()
    )
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in validator.iter_errors(media["example"])
    ]
    assert errors == []


def rule_failures(operation_id: str, example: dict[str, Any]) -> dict[str, Any]:
    """Where the example is refused, with the messages: every schema that checks the body in full."""
    checks = CHECKED_BY.get(operation_id)
    assert checks, f"{operation_id}: no schema found that checks its body"
    method, _, _ = WITH_BODY[operation_id]
    failures = {}
    for where, schema in checks:
        loader = schema()
        # a PATCH is checked alone (partial), then as the whole it makes of the thing it changes
        whole = PATCHED.get(operation_id)
        bodies = [(example, method == "PATCH")] + (
            [({**{k: v for k, v in examples.EXAMPLES[whole].items() if k in loader.fields}, **example}, False)]
            if whole
            else []
        )
        for body, partial in bodies:
            try:
                loader.load(body, partial=partial)
            except ValidationError as exc:
                failures[f"{where}{' (partial)' if partial else ''}"] = exc.messages
    return failures


@pytest.mark.parametrize("operation_id", sorted(WITH_BODY))
def test_each_example_passes_every_rule_where_its_body_is_checked(operation_id):
    assert rule_failures(operation_id, examples.EXAMPLES[operation_id]) == {}


def test_the_rules_check_catches_what_only_the_service_knows():
    """A wrong check digit, a phone number that cannot be one, a province merged away before the edition,
    an edition changed to end before it starts: each passes the document's schema and fails here."""
    wrong_digit = copy.deepcopy(examples.EXAMPLES["create_organisation"])
    wrong_digit["tax_code"] = examples.TAX_CODE[:9] + str((int(examples.TAX_CODE[9]) + 1) % 10)
    bad_phone = copy.deepcopy(examples.EXAMPLES["add_delegate"]) | {"phone": "0912"}
    merged_away = copy.deepcopy(examples.EXAMPLES["create_edition"]) | {"partner_provinces": ["ha-nam"]}
    ends_first = {"ends_on": "2027-08-18"}
    assert "tax_code" in str(rule_failures("create_organisation", wrong_digit))
    assert "phone" in str(rule_failures("add_delegate", bad_phone))
    assert "partner_provinces" in str(rule_failures("create_edition", merged_away))
    assert "ends_on" in str(rule_failures("update_edition", ends_first))


PATCHED = {"update_edition": "create_edition"}


def test_the_checks_see_every_route_with_a_body():
    assert set(CHECKED_BY) >= set(WITH_BODY)
    assert "registration.create_organisation OrganisationOnFile" in {w for w, _ in CHECKED_BY["create_organisation"]}


# -- the examples' own story: the sample values are the ones the module says --------------------------------

_ID = re.compile(r"^[a-z]{2,5}_[0-9a-f]{24}$")


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_sample_ids_look_like_real_ids_and_every_id_in_an_example_is_one_of_them():
    samples = {
        value
        for name, value in vars(examples).items()
        if name.isupper() and (name.endswith("_ID") or name.endswith("_ID_"))
    }
    assert {s for s in samples if not s.startswith("mtg_")} and all(
        _ID.match(s) for s in samples if not s.startswith("mtg_")
    ), samples
    assert re.fullmatch(r"mtg_[0-9a-f]{20}", examples.MEETING_ID)
    looks_like_an_id = re.compile(r"^(ed|org|par|dlg|ses|mtg|off|clm|run|prd|mou|whk)_[0-9a-f]+$")
    used = {s for body in examples.EXAMPLES.values() for s in _strings(body) if looks_like_an_id.match(s)}
    assert used <= samples, used - samples


def test_the_sample_tax_codes_have_a_right_check_digit():
    assert parse_tax_code(examples.TAX_CODE).kind == "enterprise"


def test_the_edition_s_dates_hold_together():
    edition = examples.EXAMPLES["create_edition"]
    days = (edition["starts_on"], edition["ends_on"])
    assert edition["registration_opens_at"] < edition["registration_closes_at"] < days[0] <= days[1]
    assert days[0] <= examples.B2B_DATE <= days[1]
    dated = [
        *(item["starts_at"][:10] for item in edition["programme"]),
        examples.EXAMPLES["book_slot"]["starts_at"][:10],
        examples.EXAMPLES["register_mou"]["signed_on"],
        *(p["starts_at"][:10] for p in examples.EXAMPLES["set_time_away"]["periods"]),
    ]
    assert all(days[0] <= day <= days[1] for day in dated), dated
    assert examples.EXAMPLES["create_b2b_session"]["date"] == examples.B2B_DATE


def test_a_foreign_buyer_registers_with_its_foreign_registration_and_no_tax_code():
    organisation = examples.EXAMPLES["register"]["organisation"]
    assert organisation["kind"] == "foreign_buyer" and organisation["tax_code"] is None
    assert organisation["foreign"]["country"] != "VN"
