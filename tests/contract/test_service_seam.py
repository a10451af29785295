"""The gateway–service seam, checked from the source: every RPC the gateway calls exists and takes the
arguments it is given; every body the gateway hands on is loaded by the service with a schema of the same
fields and types, and checked there only (the service answers every field error at once); every body the
gateway reads itself is checked by the gateway; no service imports another's package.  The last tests show
each check fails on a deliberate mismatch."""

from __future__ import annotations

import re

import pytest
from marshmallow import Schema, fields, validate

from booths.domain import explain
from booths.service import BoothsService
from gateway import schemas as gateway_schemas
from gateway.answers import booths as booth_answers
from integrations.service import IntegrationsService
from meetings.service import MeetingsService
from notifications.service import NotificationsService
from registration.service import RegistrationService
from tests.support import seam

SERVICE_CLASSES = {
    "registration": RegistrationService,
    "booths": BoothsService,
    "meetings": MeetingsService,
    "notifications": NotificationsService,
    "integrations": IntegrationsService,
}
RPCS = {name: seam.rpc_methods(cls) for name, cls in SERVICE_CLASSES.items()}
CALLS = seam.all_gateway_calls()
BODIES = [(call, position, schema) for call in CALLS for position, schema in call.bodies]
ROUTES = seam.all_routes_with_bodies()


def test_the_scan_sees_the_gateway_s_calls():
    assert len(CALLS) > 70 and {c.service for c in CALLS} == set(SERVICE_CLASSES)
    assert len(BODIES) > 30


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.service}.{c.method}@{c.where.split('/')[-1]}")
def test_every_rpc_the_gateway_calls_exists_and_takes_its_arguments(call):
    method = RPCS[call.service].get(call.method)
    assert method is not None, f"{call.where}: {call.service} has no RPC {call.method}"
    assert seam.signature_problem(method, call) is None


@pytest.mark.parametrize("call, position, schema", BODIES, ids=lambda v: getattr(v, "method", str(v)))
def test_the_gateway_and_the_service_declare_one_body_alike(call, position, schema):
    method = RPCS[call.service][call.method]
    loaded = seam.loaded_schema(method, seam.parameter_of(method, position), SERVICE_CLASSES[call.service])
    assert loaded is not None, f"{call.where}: {call.service}.{call.method} does not load what it is given"
    assert seam.schema_differences(getattr(gateway_schemas, schema), loaded) == []


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.schema}@{r.where.split('/')[-1]}")
def test_every_body_is_checked_in_one_place(route):
    """A body a service loads is checked there only: the gateway's schema knows its fields and types but not
    every rule (tax code check digits, phone numbers), so a check here first would answer some of a form's
    errors and the rest a submission later.  A body nothing loads is checked here, before the route reads it."""
    assert route.reads_body != bool(route.forwarded_to), (
        f"{route.where}: {route.schema} is handed to {', '.join(route.forwarded_to)} and also checked here"
        if route.reads_body
        else f"{route.where}: {route.schema} is not handed to a service: say reads_body=True"
    )


@pytest.mark.parametrize("service", seam.SERVICES)
def test_no_service_imports_another_s_package(service):
    found = {
        str(path.relative_to(seam.ROOT)): imports
        for path in sorted((seam.ROOT / "services" / service).rglob("*.py"))
        if (imports := seam.foreign_imports(service, path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_gateway_documents_exactly_the_allocation_reasons_the_booths_service_gives():
    """Written twice because the services share no code; a reason the document lacks fails a client's check
    only when some test happens to reach it, so the two lists are held equal here, and every code is
    described in the explanation module's own list."""
    assert booth_answers.REASON_CODES == explain.REASON_CODES
    documented = set(re.findall(r"^- ``([a-z_]+)``", explain.__doc__ or "", re.MULTILINE))
    assert documented == set(explain.REASON_CODES)
    with pytest.raises(ValueError, match="unknown allocation reason 'overbooked'"):
        explain.Reason("overbooked", "a code nobody listed")


# -- each check fails on a deliberate mismatch -----------------------------------------------------------

SOURCE = """
class Routes:
    registration = ServiceRpc("registration")

    @api("POST", "/v1/series", body=s.SeriesBody)
    def one(self, request):
        return self.registration.create_series(actor(request), request.body)

    def two(self, request):
        return self.registration.no_such_rpc(actor(request))

    def three(self, request):
        return self.registration.get_edition(actor(request), "ed", "extra", "arguments")

    @api("POST", "/v1/claims/<cid>/confirm", body=s.ClaimDecisionBody)
    def four(self, request, cid):
        return self.registration.confirm_claim(actor(request), cid, {**request.body, "token": "t"})

    @api("POST", "/v1/dev/tokens", body=s.DevTokenBody)
    def five(self, request):
        return mint(request.body["role"])

    @api("POST", "/v1/organisations", body=s.OrganisationBody, reads_body=True)
    def six(self, request):
        return self.registration.create_organisation(actor(request), request.body)
"""


def test_a_missing_rpc_and_a_call_with_wrong_arguments_are_caught():
    one, two, three, four, six = seam.gateway_calls(SOURCE, "routes.py")
    assert one.bodies == ((1, "SeriesBody"),)
    assert seam.signature_problem(RPCS["registration"][one.method], one) is None
    assert two.method not in RPCS["registration"]
    assert "too many" in seam.signature_problem(RPCS["registration"][three.method], three)
    assert four.bodies == ((2, "ClaimDecisionBody"),)  # the body with what the route adds is the body
    assert six.bodies == ((1, "OrganisationBody"),)


def test_a_body_checked_in_two_places_or_in_none_is_caught():
    routes = {r.schema: r for r in seam.routes_with_bodies(SOURCE, "routes.py")}
    assert {name: (r.reads_body, r.forwarded_to) for name, r in routes.items()} == {
        "SeriesBody": (False, ("registration.create_series",)),
        "ClaimDecisionBody": (False, ("registration.confirm_claim",)),
        "DevTokenBody": (False, ()),  # read by the route, unchecked
        "OrganisationBody": (True, ("registration.create_organisation",)),  # checked here and there
    }
    failures = []
    for route in routes.values():
        try:
            test_every_body_is_checked_in_one_place(route)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0].split(": ", 1)[1])
    assert failures == [
        "DevTokenBody is not handed to a service: say reads_body=True",
        "OrganisationBody is handed to registration.create_organisation and also checked here",
    ]


def test_schemas_that_disagree_in_fields_or_types_are_caught():
    class Inner(Schema):
        amount = fields.Integer()

    class Gateway(Schema):
        name = fields.String()
        count = fields.Integer()
        money = fields.Nested(Inner)
        only_here = fields.String()
        kind = fields.String(validate=validate.OneOf(("enterprise", "cooperative")))
        roles = fields.List(fields.String(validate=validate.OneOf(("buyer", "visitor"))))

    class Service(Schema):
        name = fields.String()
        count = fields.String()
        money = fields.Dict()
        only_there = fields.List(fields.String(), data_key="only-there")
        kind = fields.String(validate=validate.OneOf(("enterprise", "cooperative", "association")))
        roles = fields.List(fields.String(validate=validate.OneOf(("visitor", "buyer"))))  # same set

    assert seam.schema_differences(Gateway, Service) == [
        "only_here: only in the gateway's schema",
        "only-there: only in the service's schema",
        "count: integer in the gateway, string in the service",
        "kind: one of ['cooperative', 'enterprise'] in the gateway, ['association', 'cooperative', 'enterprise'] in "
        "the service",
        "money: object in the gateway, map in the service",
    ]


def test_an_import_of_another_service_is_caught():
    source = "from booths.planning import quota_province\nimport meetings.store\nfrom shared import ids\n"
    assert seam.foreign_imports("registration", source) == ["booths.planning", "meetings.store"]
