"""The gateway's HTTP entrypoint: JSON in, JSON or problem+json out.

nameko's stock ``http`` entrypoint answers unknown routes and errors with
HTML or plain text.  :class:`ApiHandler` and :class:`ApiServer` put every
cross-cutting rule of the public API in one place: request ids, body size
limit, JSON parsing, bearer tokens, ``Idempotency-Key``, CORS, and the
mapping of every exception to a problem document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from functools import partial
from typing import Any

from eventlet import wsgi
from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from prometheus_client import Counter
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Response

from gateway.edge import checked, json_object
from gateway.idempotency import idempotency_store
from gateway.messages import pick_language
from gateway.problems import problem_response
from gateway.request import Request
from shared.auth import Principal, read_token
from shared.config import settings
from shared.context import REQUEST_ID_KEY
from shared.errors import BadRequest, KetnoiError, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from shared.logs import scoped

log = logging.getLogger(__name__)
access_log = logging.getLogger("gateway.access")
HTTP_RESPONSES = Counter(
    "ketnoi_http_responses_total",
    "Answers of the public API, by route template, method and HTTP status (problems included).",
    ["route", "method", "status"],
)

REQUEST_ID_HEADER = "X-Request-ID"
SURROGATE_ESCAPE = re.compile(rb"\\[uU][dD][89a-fA-F]")
QUIET_PATHS = frozenset({"/healthz", "/readyz"})  # probed every few seconds
EXPOSED_HEADERS = "ETag, Location, Retry-After, X-Request-ID, Idempotent-Replayed, Content-Language, Preference-Applied"


def request_id_of(request: Request) -> str:
    given = (request.headers.get(REQUEST_ID_HEADER) or "").strip()
    return given[:100] if given and given.isprintable() else uuid.uuid4().hex


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False, default=str),
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def _cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("Origin")
    if not origin or origin not in settings().cors_origins:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": EXPOSED_HEADERS}


class ApiApp(WsgiApp):
    """Routing with problem+json for unknown paths and methods, CORS preflight, and the access line."""

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request = Request(environ, shallow=True)
        request.request_id = request_id_of(request)
        provider = None
        with scoped(request_id=request.request_id):  # what routing or a problem logs carries the id too
            adapter = self.url_map.bind_to_environ(environ)
            if request.method == "OPTIONS":
                response = self._preflight(request, adapter)
            else:
                try:
                    provider, values = adapter.match()
                    request.path_values = values
                    with scoped(handler=handler_name(provider)):
                        response = provider.handle_request(request)
                except HTTPException as exc:
                    response = _http_problem(exc, request)
        response.headers.update(_cors_headers(request))
        response.headers[REQUEST_ID_HEADER] = request.request_id
        # after the body is written, so the duration is what the client waited
        environ["eventlet.posthooks"].append((log_access, (request, response, provider, started), {}))
        return response(environ, start_response)

    def _preflight(self, request: Request, adapter) -> Response:
        try:
            methods = adapter.allowed_methods()
        except HTTPException:
            methods = []
        if not methods:
            return _http_problem(NotFound(), request)
        response = Response(status=204)
        if _cors_headers(request):
            response.headers.update(
                {
                    "Access-Control-Allow-Methods": ", ".join(sorted(set(methods) | {"OPTIONS"})),
                    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, If-None-Match, "
                    "Idempotency-Key, Accept-Language, X-Request-ID, Prefer",
                    "Access-Control-Max-Age": "600",
                }
            )
        return response


def _http_problem(exc: HTTPException, request: Request) -> Response:
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.code, "bad_request")
    error = KetnoiError(exc.description or "", code=code)
    error.status = exc.code
    response = problem_response(
        error, pick_language(request.headers.get("Accept-Language")), request.path, request.request_id
    )
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handler_name(provider: HttpRequestHandler | None) -> str | None:
    return f"{provider.container.service_name}.{provider.method_name}" if provider is not None else None


def log_access(
    environ, request: Request, response: Response, provider: HttpRequestHandler | None, started: float
) -> None:
    """The access line: one per request, with its id, route template, status and duration (never the query
    string: claim and unsubscribe links carry their token there).  Probes that succeed are DEBUG."""
    status = response.status_code
    level = logging.DEBUG if request.path in QUIET_PATHS and status < 400 else logging.INFO
    with scoped(request_id=request.request_id, handler=handler_name(provider)):
        access_log.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "status": str(status),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "method": request.method,
                "route": provider.url if provider is not None else None,
                "path": request.path,
                "client": environ.get("REMOTE_ADDR"),
            },
        )


class EventletLog:
    """eventlet's server log without its own access line (``log_format=""``): ours has the request id."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def info(self, msg: str, *args) -> None:
        if msg:
            self.logger.info(msg, *args)

    def debug(self, msg: str, *args) -> None:
        self.logger.debug(msg, *args)

    def error(self, msg: str, *args) -> None:
        self.logger.error(msg, *args)


class ApiServer(WebServer):
    def get_wsgi_app(self):
        return ApiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=HttpOnlyProtocol, debug=False):
        return wsgi.Server(
            sock,
            sock.getsockname(),
            wsgi_app,
            protocol=protocol,
            debug=debug,
            log=EventletLog(logging.getLogger("nameko.web.server")),
            log_format="",
        )


class ApiHandler(HttpRequestHandler):
    """``@api(method, url, ...)``: one public endpoint, described for OpenAPI.

    The decorated method receives the request (with ``principal``,
    ``language`` and ``request_id`` set, and ``body``: the JSON body, an
    object) plus path values, and returns a ``Response`` or a ``(status,
    payload)`` / ``(status, headers, payload)``.  The declared ``body`` schema
    is what the OpenAPI document shows; the service the route hands the body
    to loads it with its own schema of the same fields and answers every
    field error at once (checking here first would answer the part the
    gateway knows, and the rest a submission later).  A route that reads the
    body itself says ``reads_body=True``: it is checked against the schema
    here, a 422 before the route runs.  tests/contract/test_service_seam.py
    holds every route to one of the two.

    ``headers`` names the response headers a client reads (``ETag`` to send
    back in ``If-Match``, ``Location``, ``Retry-After``), on the success status
    or by status; the document declares them and the end-to-end contract check
    fails on one an answer carries undeclared.

    ``cache_seconds`` makes a GET's successful answer cacheable by anyone (data
    that is the same for every caller): a strong ``ETag`` hashed from the body,
    ``Cache-Control: public, max-age=…`` (unless the route set its own), and 304
    with no body for an ``If-None-Match`` that still matches.
    """

    server = ApiServer()

    def __init__(
        self,
        method: str,
        url: str,
        *,
        summary: str = "",
        description: str = "",
        body: Any = None,
        reads_body: bool = False,
        response: Any = None,
        auth: str = "optional",
        tags: tuple[str, ...] = (),
        idempotent: bool | None = None,
        query: Any = None,
        status: int = 200,
        produces: str = "application/json",
        also_produces: tuple[str, ...] = (),
        documented: bool = True,
        other_statuses: dict[int, str | tuple[str, Any]] | None = None,
        headers: tuple[str, ...] | dict[int, tuple[str, ...]] = (),
        cache_seconds: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("expected_exceptions", KetnoiError)
        super().__init__(method, url, **kwargs)
        self.summary = summary
        self.description = description
        self.body = body
        self.reads_body = reads_body
        self.response = response
        self.auth = auth
        self.tags = tags
        self.query = query
        self.status = status
        self.produces = produces
        self.also_produces = also_produces  # other media types of the success answer (a query picks one)
        self.documented = documented
        # successful answers besides ``status``, for OpenAPI: a description, or (description, response schema)
        self.other_statuses = other_statuses or {}
        # response headers a client reads (of gateway.openapi.RESPONSE_HEADERS), by status; a tuple
        # means the success status
        self.headers = headers if isinstance(headers, dict) else ({status: headers} if headers else {})
        self.cache_seconds = cache_seconds
        self.idempotent = method == "POST" if idempotent is None else idempotent

    def setup(self) -> None:
        super().setup()
        self.idempotency = idempotency_store()

    def handle_request(self, request: Request) -> Response:
        response = self._answer(request)
        HTTP_RESPONSES.labels(self.url, self.method, str(response.status_code)).inc()
        return response

    def _answer(self, request: Request) -> Response:
        request.shallow = False  # routing is done; the body may be read now
        request.language = pick_language(request.headers.get("Accept-Language"))
        try:
            request.principal = self._principal(request)
            request.json_body = self._body(request)
            # before an idempotency key is claimed: a body only a service loads need be an object here
            request.body = (
                None
                if self.body is None
                else (checked(self.body, request.json_body) if self.reads_body else json_object(request.json_body))
            )
            key = request.headers.get("Idempotency-Key") if self.idempotent else None
            if key:
                return self.idempotency.run(key, request, partial(self._call, request))
            return self._call(request)
        except Exception as exc:
            return problem_response(exc, request.language, request.path, request.request_id)

    def _call(self, request: Request) -> Response:
        context = {REQUEST_ID_KEY: request.request_id, "language": request.language}
        event = Event()
        self.container.spawn_worker(
            self,
            (request,),
            request.path_values,
            context_data=context,
            handle_result=partial(self.handle_result, event),
        )
        result = event.wait()
        response = self.response_from_result(result)
        if self.cache_seconds is not None and response.status_code == 200:
            self._make_cacheable(response, request)
        return response

    def _make_cacheable(self, response: Response, request: Request) -> None:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        if "Cache-Control" not in response.headers:
            response.cache_control.public = True
            response.cache_control.max_age = self.cache_seconds
        response.make_conditional(request)  # 304, body dropped, when If-None-Match names this ETag

    def response_from_result(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        headers: dict[str, str] = {}
        if isinstance(result, tuple) and len(result) == 3:
            status, headers, payload = result
        elif isinstance(result, tuple):
            status, payload = result
        else:
            status, payload = self.status, result
        if status == 204:
            return Response(status=204, headers=headers)
        return json_response(payload, status, headers)

    def _principal(self, request: Request) -> Principal | None:
        header = request.headers.get("Authorization")
        if not header:
            if self.auth == "required":
                raise Unauthorized("Send a bearer token.", code="unauthorized")
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.", code="token_invalid")
        return read_token(token.strip(), settings().jwt_secret)

    def _body(self, request: Request) -> Any:
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        limit = settings().max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"The body may be at most {limit} bytes.")
        if request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # eventlet's server decodes a chunked body but does not say the stream ends; werkzeug then reads none
            request.environ["wsgi.input_terminated"] = True
        request.max_content_length = limit
        try:
            raw = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raise PayloadTooLarge(f"The body may be at most {limit} bytes.") from None
        if not raw:
            return None if self.body is None else {}
        if request.mimetype not in ("application/json", "application/merge-patch+json", ""):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            # strict UTF-8 first: json.loads(bytes) lets encoded surrogates (ED A0 80) through
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"The body is not valid JSON: {exc}", code="malformed_json") from None
        except RecursionError:
            raise BadRequest("The body is nested too deeply.", code="malformed_json") from None
        if SURROGATE_ESCAPE.search(raw):  # "\ud800" alone is valid JSON but not text: no store could keep it
            try:
                json.dumps(body, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest(
                    "The body contains an unpaired surrogate (\\uD800-\\uDFFF) where text belongs.",
                    code="malformed_json",
                ) from None
        return body

    def handle_result(self, event, worker_ctx, result, exc_info):
        event.send(result, exc_info)
        return result, exc_info


api = ApiHandler.decorator
