"""The gateway's routes: check the caller and the shape, call the owner, shape the answer.

Every route is one ``@api`` entrypoint whose declaration is also its OpenAPI
entry.  Business rules live in the services; this module only translates
HTTP (paths, query strings, ETags, status codes) to RPC and back.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from kombu import Connection
from marshmallow import Schema
from werkzeug.wrappers import Request, Response

from gateway import schemas as s
from gateway.http import api
from gateway.openapi import openapi_document
from gateway.rpc import ServiceRpc
from shared.auth import Principal, mint_token, require, scope_problem
from shared.config import settings
from shared.context import RequestContext
from shared.errors import InvalidInput, NotFound, PreconditionRequired
from shared.metrics import ServiceMetrics
from shared.store import database, ping
from shared.validation import flatten

DOCS_HTML = (Path(__file__).with_name("docs.html")).read_text(encoding="utf-8")
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
ASSET_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}


def broker_reachable() -> bool:
    try:
        with Connection(settings().amqp_uri, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def checked(schema: Schema, body: Any) -> Any:
    """Reject a body of the wrong shape here, before it costs an RPC; pass it on unchanged."""
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="body_not_object",
                           errors=[{"field": "body", "code": "invalid_type", "message": "Expected a JSON object.",
                                    "params": {}}])
    errors = schema.validate(body)
    if errors:
        raise InvalidInput("Some fields are not valid.", errors=flatten(errors))
    return body


def query_of(request: Request, schema: Schema) -> dict[str, Any]:
    raw = {k: v for k, v in request.args.items()}
    errors = schema.validate(raw)
    if errors:
        raise InvalidInput("Some query parameters are not valid.", errors=flatten(errors))
    return raw


def actor(request: Request) -> dict[str, Any] | None:
    return request.principal.as_dict() if request.principal else None


def etag(doc: dict[str, Any]) -> str:
    return f'"v{doc["version"]}"'


def expected_version(request: Request) -> int:
    """The version named by ``If-Match``; updates without it could silently undo someone's edit."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    tag = header.removeprefix("W/").strip('"')
    if not tag.startswith("v") or not tag[1:].isdigit():
        raise InvalidInput("If-Match must be an ETag this API gave you.", code="validation_failed",
                           errors=[{"field": "If-Match", "code": "invalid_format", "message": "Not an ETag.",
                                    "params": {}}])
    return int(tag[1:])


def with_etag(status: int, doc: dict[str, Any], location: str | None = None) -> tuple:
    headers = {"ETag": etag(doc)}
    if location:
        headers["Location"] = location
    return status, headers, doc


class GatewayService:
    name = "gateway"

    registration = ServiceRpc("registration")
    metrics = ServiceMetrics()
    request_id = RequestContext()

    # -- operations -------------------------------------------------------------

    @api("GET", "/healthz", summary="Liveness: the process answers", auth="none", tags=("ops",))
    def healthz(self, request: Request):
        return {"status": "ok"}

    @api("GET", "/readyz", summary="Readiness: broker, store and every service reachable", auth="none",
         tags=("ops",))
    def readyz(self, request: Request):
        checks = {"broker": broker_reachable(), "store": ping(database("gateway"))}
        for service, proxy in (("registration", self.registration),):
            try:
                checks[service] = bool(proxy.ping()["store"])
            except Exception:
                checks[service] = False
        ready = all(checks.values())
        headers = {} if ready else {"Retry-After": "5"}
        return (200 if ready else 503), headers, {"status": "ready" if ready else "not ready", "checks": checks}

    @api("GET", "/v1/openapi.json", summary="This document", auth="none", tags=("docs",))
    def openapi(self, request: Request):
        return openapi_document(GatewayService)

    @api("GET", "/docs", summary="Interactive API documentation", auth="none", documented=False)
    def docs(self, request: Request):
        return Response(DOCS_HTML, mimetype="text/html")

    @api("GET", "/docs/assets/<name>", auth="none", documented=False)
    def docs_asset(self, request: Request, name: str):
        path = SWAGGER_DIR / name
        if "/" in name or path.suffix not in ASSET_TYPES or not path.is_file():
            raise NotFound("No such asset.")
        return Response(path.read_bytes(), mimetype=ASSET_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=86400"})

    @api("POST", "/v1/dev/tokens", summary="Dev mode only: mint a token for any role", auth="none",
         body=s.DevTokenBody, tags=("dev",), status=201, idempotent=False)
    def dev_token(self, request: Request):
        if not settings().dev_mode:
            raise NotFound("Not available.", code="dev_mode_off")
        body = checked(s.DevTokenBody(), request.json_body)
        principal = Principal(role=body["role"], subject=body.get("subject") or f"dev-{body['role']}",
                              series=body.get("series"), organisation=body.get("organisation"),
                              province=body.get("province"))
        problem = scope_problem(principal)
        if problem:
            raise InvalidInput(problem, errors=[{"field": "role", "code": "invalid", "message": problem,
                                                 "params": {}}])
        return 201, {"token": mint_token(principal, settings().jwt_secret, timedelta(hours=12)),
                     "principal": principal.as_dict()}

    # -- series and editions --------------------------------------------------------

    @api("GET", "/v1/series", summary="Conference series", auth="none", tags=("editions",))
    def list_series(self, request: Request):
        return {"items": self.registration.list_series()}

    @api("POST", "/v1/series", summary="Create a series (ops)", body=s.SeriesBody, auth="required",
         tags=("editions",), status=201)
    def create_series(self, request: Request):
        require(request.principal, "ops")
        series = self.registration.create_series(actor(request), checked(s.SeriesBody(), request.json_body))
        return 201, {"Location": f"/v1/series/{series['id']}"}, series

    @api("GET", "/v1/editions", summary="Editions (drafts only for their organisers)", auth="optional",
         tags=("editions",))
    def list_editions(self, request: Request):
        return {"items": self.registration.list_editions(actor(request), request.args.get("series_id"))}

    @api("POST", "/v1/editions", summary="Create an edition (organiser of the series)", body=s.EditionBody,
         auth="required", tags=("editions",), status=201)
    def create_edition(self, request: Request):
        edition = self.registration.create_edition(actor(request), checked(s.EditionBody(), request.json_body))
        return with_etag(201, edition, f"/v1/editions/{edition['id']}")

    @api("GET", "/v1/editions/<edition_id>", summary="An edition with its programme and places",
         auth="optional", tags=("editions",))
    def get_edition(self, request: Request, edition_id: str):
        return with_etag(200, self.registration.get_edition(actor(request), edition_id))

    @api("PATCH", "/v1/editions/<edition_id>", summary="Change an edition (If-Match required)",
         body=s.EditionPatch, auth="required", tags=("editions",))
    def update_edition(self, request: Request, edition_id: str):
        version = expected_version(request)
        body = checked(s.EditionPatch(), request.json_body)
        return with_etag(200, self.registration.update_edition(actor(request), edition_id, version, body))

    @api("POST", "/v1/editions/<edition_id>/status", summary="Open, close or finish an edition",
         body=s.StatusBody, auth="required", tags=("editions",))
    def set_edition_status(self, request: Request, edition_id: str):
        version = expected_version(request) if request.headers.get("If-Match") else None
        body = checked(s.StatusBody(), request.json_body)
        return with_etag(200, self.registration.set_edition_status(actor(request), edition_id, version, body))

    # -- registration -------------------------------------------------------------------

    @api("POST", "/v1/editions/<edition_id>/registrations",
         summary="Register an organisation (with delegates and products) for an edition", auth="optional",
         body=s.RegistrationBody, tags=("registration",), status=201)
    def register(self, request: Request, edition_id: str):
        result = self.registration.register(actor(request), edition_id,
                                            checked(s.RegistrationBody(), request.json_body))
        location = f"/v1/participations/{result['participation']['id']}"
        return 201, {"Location": location}, result

    @api("POST", "/v1/editions/<edition_id>/participations",
         summary="An organisation on file applies for an edition", body=s.ApplicationBody, auth="required",
         tags=("registration",), status=201)
    def apply(self, request: Request, edition_id: str):
        participation = self.registration.apply(actor(request), edition_id,
                                                checked(s.ApplicationBody(), request.json_body))
        return 201, {"Location": f"/v1/participations/{participation['id']}"}, participation

    @api("GET", "/v1/editions/<edition_id>/participations",
         summary="Registrations of an edition (organisers; provinces see their own)", auth="required",
         query=s.ParticipationQuery, tags=("registration",))
    def list_participations(self, request: Request, edition_id: str):
        return self.registration.list_participations(actor(request), edition_id,
                                                     query_of(request, s.ParticipationQuery()))

    @api("POST", "/v1/editions/<edition_id>/participations/decisions", summary="Decide many at once",
         body=s.BulkDecisionBody, auth="required", tags=("registration",))
    def decide_many(self, request: Request, edition_id: str):
        return self.registration.decide_many(actor(request), edition_id,
                                             checked(s.BulkDecisionBody(), request.json_body))

    @api("GET", "/v1/editions/<edition_id>/participations.csv", summary="Spreadsheet export (UTF-8 with BOM)",
         auth="required", tags=("registration",), produces="text/csv")
    def export_csv(self, request: Request, edition_id: str):
        body = self.registration.export_csv(actor(request), edition_id)
        return Response(body.encode("utf-8"), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{edition_id}-registrations.csv"'})

    @api("GET", "/v1/editions/<edition_id>/stats", summary="Counts by province, role and status",
         auth="required", tags=("registration",))
    def stats(self, request: Request, edition_id: str):
        return self.registration.stats(actor(request), edition_id)

    @api("GET", "/v1/editions/<edition_id>/directory",
         summary="Public directory of approved participants (no personal data)", auth="none",
         query=s.ParticipationQuery, tags=("registration",))
    def directory(self, request: Request, edition_id: str):
        return self.registration.directory(edition_id, query_of(request, s.ParticipationQuery()))

    @api("GET", "/v1/participations/<participation_id>", summary="One registration", auth="required",
         tags=("registration",))
    def get_participation(self, request: Request, participation_id: str):
        return with_etag(200, self.registration.get_participation(actor(request), participation_id))

    @api("POST", "/v1/participations/<participation_id>/decision",
         summary="Approve, reject (with reason), waitlist or cancel", body=s.DecisionBody, auth="required",
         tags=("registration",))
    def decide(self, request: Request, participation_id: str):
        body = checked(s.DecisionBody(), request.json_body)
        return with_etag(200, self.registration.decide(actor(request), participation_id, body))

    @api("GET", "/v1/participations/<participation_id>/badges/<delegate_id>",
         summary="A delegate's badge QR payload (ids and signature only)", auth="required", tags=("check-in",))
    def badge(self, request: Request, participation_id: str, delegate_id: str):
        return self.registration.badge(actor(request), participation_id, delegate_id)

    @api("POST", "/v1/checkins", summary="Scan a badge at a gate (idempotent)", body=s.CheckInBody,
         auth="required", tags=("check-in",))
    def check_in(self, request: Request):
        result = self.registration.check_in(actor(request), checked(s.CheckInBody(), request.json_body))
        return (201 if result["first_scan"] else 200), result

    # -- organisations -----------------------------------------------------------------------

    @api("POST", "/v1/organisations", summary="Put an organisation on file", body=s.OrganisationBody,
         auth="optional", tags=("organisations",), status=201)
    def create_organisation(self, request: Request):
        org = self.registration.create_organisation(actor(request),
                                                    checked(s.OrganisationBody(), request.json_body))
        return with_etag(201, org, f"/v1/organisations/{org['id']}")

    @api("GET", "/v1/organisations/<organisation_id>",
         summary="An organisation (contacts only for itself and its organisers)", auth="optional",
         tags=("organisations",))
    def get_organisation(self, request: Request, organisation_id: str):
        return with_etag(200, self.registration.get_organisation(actor(request), organisation_id))

    @api("PATCH", "/v1/organisations/<organisation_id>", summary="Change name, province, sectors, website",
         body=s.OrganisationPatch, auth="required", tags=("organisations",))
    def update_organisation(self, request: Request, organisation_id: str):
        version = expected_version(request)
        body = checked(s.OrganisationPatch(), request.json_body)
        return with_etag(200, self.registration.update_organisation(actor(request), organisation_id, version, body))

    @api("POST", "/v1/organisations/<organisation_id>/delegates", summary="Add a delegate", body=s.Delegate,
         auth="required", tags=("organisations",), status=201)
    def add_delegate(self, request: Request, organisation_id: str):
        return 201, self.registration.add_delegate(actor(request), organisation_id,
                                                   checked(s.Delegate(), request.json_body))

    @api("POST", "/v1/organisations/<organisation_id>/products", summary="Add a product (OCOP stars optional)",
         body=s.Product, auth="required", tags=("organisations",), status=201)
    def add_product(self, request: Request, organisation_id: str):
        return 201, self.registration.add_product(actor(request), organisation_id,
                                                  checked(s.Product(), request.json_body))

