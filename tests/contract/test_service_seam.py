"""The gateway–service seam, checked from the source: every RPC the gateway calls exists and takes the
arguments it is given; every body the gateway checks is loaded by the service with a schema of the same
fields and types; no service imports another's package.  The last tests show each check fails on a
deliberate mismatch."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields, validate

from booths.service import BoothsService
from gateway import schemas as gateway_schemas
from meetings.service import MeetingsService
from notifications.service import NotificationsService
from registration.service import RegistrationService
from tests.support import seam

SERVICE_CLASSES = {"registration": RegistrationService, "booths": BoothsService, "meetings": MeetingsService,
                   "notifications": NotificationsService}
RPCS = {name: seam.rpc_methods(cls) for name, cls in SERVICE_CLASSES.items()}
CALLS = seam.all_gateway_calls()
BODIES = [(call, position, schema) for call in CALLS for position, schema in call.bodies]


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


@pytest.mark.parametrize("service", seam.SERVICES)
def test_no_service_imports_another_s_package(service):
    found = {str(path.relative_to(seam.ROOT)): imports
             for path in sorted((seam.ROOT / "services" / service).rglob("*.py"))
             if (imports := seam.foreign_imports(service, path.read_text(encoding="utf-8")))}
    assert found == {}


# -- each check fails on a deliberate mismatch -----------------------------------------------------------

ROUTES = '''
class Routes:
    registration = ServiceRpc("registration")

    @api("POST", "/v1/series", body=s.SeriesBody)
    def one(self, request):
        return self.registration.create_series(actor(request), request.body)

    def two(self, request):
        return self.registration.no_such_rpc(actor(request))

    def three(self, request):
        return self.registration.get_edition(actor(request), "ed", "extra", "arguments")
'''


def test_a_missing_rpc_and_a_call_with_wrong_arguments_are_caught():
    one, two, three = seam.gateway_calls(ROUTES, "routes.py")
    assert one.bodies == ((1, "SeriesBody"),)
    assert seam.signature_problem(RPCS["registration"][one.method], one) is None
    assert two.method not in RPCS["registration"]
    assert "too many" in seam.signature_problem(RPCS["registration"][three.method], three)


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
        "only_here: only in the gateway's schema", "only-there: only in the service's schema",
        "count: integer in the gateway, string in the service",
        "kind: one of ['cooperative', 'enterprise'] in the gateway, ['association', 'cooperative', 'enterprise'] in "
        "the service", "money: object in the gateway, map in the service"]


def test_an_import_of_another_service_is_caught():
    source = "from booths.planning import quota_province\nimport meetings.store\nfrom shared import ids\n"
    assert seam.foreign_imports("registration", source) == ["booths.planning", "meetings.store"]
