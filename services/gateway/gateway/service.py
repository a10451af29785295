"""The gateway service: operations routes, plus every service's routes mixed in.

Every route is one ``@api`` entrypoint whose declaration is also its OpenAPI
entry.  Business rules live in the services; the route modules only
translate HTTP (paths, query strings, ETags, status codes) to RPC and back,
one module per service called (``registration_routes``, ``booth_routes``,
``meeting_routes``, ``notification_routes``, ``integration_routes``), ``reference_routes`` for the
cacheable lists forms offer (answered by registration), and ``open_data_routes``
for an edition's counts (asking three services).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import eventlet
import swagger_ui_bundle
from werkzeug.wrappers import Response

# route mixins imported as modules: `nameko run gateway.service` runs every service class it sees
from gateway import (
    booth_routes,
    demo_page,
    integration_routes,
    meeting_routes,
    notification_routes,
    open_data_routes,
    problem_pages,
    reference_routes,
    registration_routes,
)
from gateway import schemas as s
from gateway.answers import platform as a
from gateway.edge import broker_reachable
from gateway.http import api
from gateway.idempotency import Heartbeat, idempotency_store
from gateway.openapi import openapi_document
from gateway.request import Request
from shared.auth import Principal, mint_token, scope_problem
from shared.config import settings
from shared.context import RequestContext
from shared.errors import InvalidInput, NotFound
from shared.events.asyncapi import document as asyncapi_document
from shared.metrics import ServiceMetrics

DOCS_HTML = (Path(__file__).with_name("docs.html")).read_text(encoding="utf-8")
SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
ASSET_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}


READY_CHECK_SECONDS = 0.8
CONTRACT_CACHE_SECONDS = 3600  # the event contract changes only with a deployment


def _within(check, seconds: float) -> bool:
    try:
        with eventlet.Timeout(seconds):
            return bool(check())
    except (Exception, eventlet.Timeout):
        return False


class GatewayService(
    registration_routes.RegistrationRoutes,
    booth_routes.BoothRoutes,
    meeting_routes.MeetingRoutes,
    notification_routes.NotificationRoutes,
    reference_routes.ReferenceRoutes,
    open_data_routes.OpenDataRoutes,
    problem_pages.ProblemPages,
    integration_routes.IntegrationRoutes,
    demo_page.DemoPage,
):
    name = "gateway"

    metrics = ServiceMetrics()
    request_id = RequestContext()
    heartbeat = Heartbeat()

    # -- operations -------------------------------------------------------------

    @api(
        "GET",
        "/healthz",
        summary="Liveness: the process answers",
        description="For the orchestrator's liveness probe: 200 while the gateway process serves requests, whatever "
        "the state of the broker, store or services (see /readyz).",
        auth="none",
        tags=("ops",),
        response=s.Liveness,
    )
    def healthz(self, request: Request):
        return {"status": "ok"}

    @api(
        "GET",
        "/readyz",
        summary="Readiness: broker, store and every service reachable",
        auth="none",
        tags=("ops",),
        response=s.Readiness,
        description="For the orchestrator's readiness probe and load balancers: 200 when the broker, the store and "
        "every service answered within a second, else 503 with Retry-After and the same body naming what did not.",
        other_statuses={503: ("Not ready: the checks that failed are false (Retry-After)", s.Readiness)},
    )
    def readyz(self, request: Request):
        """Within a second in any state: every check runs at once with its own deadline (a paused store or
        a broker that is away made this hang for as long as they were)."""
        checks: dict[str, object] = {
            "broker": broker_reachable,
            "store": lambda: idempotency_store().records.ping(),
            **{
                service: lambda proxy=proxy: bool(proxy.ping()["store"])
                for service, proxy in (
                    ("registration", self.registration),
                    ("booths", self.booths),
                    ("meetings", self.meetings),
                    ("notifications", self.notifications),
                    ("integrations", self.integrations),
                )
            },
        }
        pool = eventlet.GreenPool(len(checks))
        threads = {name: pool.spawn(_within, check, READY_CHECK_SECONDS) for name, check in checks.items()}
        checks = {name: thread.wait() for name, thread in threads.items()}
        ready = all(checks.values())
        headers = {} if ready else {"Retry-After": "5"}
        return (200 if ready else 503), headers, {"status": "ready" if ready else "not ready", "checks": checks}

    @api(
        "GET",
        "/v1/openapi.json",
        summary="This document",
        description="Anyone: the OpenAPI 3.1 document of this API, generated from the routes that serve it (the "
        "TypeScript client is generated from it). Its operations are typed; the JSON Schemas inside are JSON.",
        auth="none",
        tags=("docs",),
        response=a.OpenApiDocument,
    )
    def openapi(self, request: Request):
        return openapi_document(GatewayService)

    @api(
        "GET",
        "/v1/asyncapi.json",
        summary="The public events provinces consume, as AsyncAPI 3.0: the exchange "
        "ketnoi.public, its routing keys by province, the CloudEvents envelope and each type's schema",
        description="Anyone: the public event contract a province's consumer reads (the same as "
        "events/asyncapi.yaml); cacheable (ETag, 304), it changes only with a deployment.",
        auth="none",
        tags=("docs",),
        response=a.AsyncApiDocument,
        cache_seconds=CONTRACT_CACHE_SECONDS,
    )
    def asyncapi(self, request: Request):
        return asyncapi_document()

    @api("GET", "/docs", summary="Interactive API documentation", auth="none", documented=False)
    def docs(self, request: Request):
        return Response(DOCS_HTML, mimetype="text/html")

    @api("GET", "/docs/assets/<name>", auth="none", documented=False)
    def docs_asset(self, request: Request, name: str):
        path = SWAGGER_DIR / name
        if "/" in name or path.suffix not in ASSET_TYPES or not path.is_file():
            raise NotFound("No such asset.")
        return Response(
            path.read_bytes(), mimetype=ASSET_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=86400"}
        )

    @api(
        "POST",
        "/v1/dev/tokens",
        summary="Dev mode only: mint a token for any role",
        description="Development and tests only (KETNOI_DEV_MODE): a 12-hour bearer token for the role and scope "
        "asked (an organiser's series, a member's organisation, a province); 404 dev_mode_off in production, 422 "
        "for a role without its scope.",
        auth="none",
        response=a.DevToken,
        body=s.DevTokenBody,
        reads_body=True,
        tags=("dev",),
        status=201,
        idempotent=False,
    )
    def dev_token(self, request: Request):
        if not settings().dev_mode:
            raise NotFound("Not available.", code="dev_mode_off")
        body = request.body
        principal = Principal(
            role=body["role"],
            subject=body.get("subject") or f"dev-{body['role']}",
            series=body.get("series"),
            organisation=body.get("organisation"),
            province=body.get("province"),
        )
        problem = scope_problem(principal)
        if problem:
            raise InvalidInput(problem, errors=[{"field": "role", "code": "invalid", "message": problem, "params": {}}])
        return 201, {
            "token": mint_token(principal, settings().jwt_secret, timedelta(hours=12)),
            "principal": principal.as_dict(),
        }
