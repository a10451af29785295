"""The request id per worker: isolated between green threads, current while a worker runs, gone after it;
one line per RPC or event handled and per HTTP request answered."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import eventlet
import pytest
from nameko.rpc import Rpc
from nameko.timer import Timer
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from gateway.http import EventletLog, log_access
from shared.context import RequestContext, current_request_id
from shared.errors import NotFound
from shared.events.consumer import EventHandler
from shared.logs import JsonLines, current_scope, scoped


@contextmanager
def json_lines(logger: str) -> Iterator[Callable[[], list[dict]]]:
    """What ``logger`` writes through the services' formatter, at every level, read back."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines("registration"))
    target = logging.getLogger(logger)
    level = target.level
    target.addHandler(handler)
    target.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(text) for text in out.getvalue().splitlines()]
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


def test_each_green_thread_has_its_own_scope_and_starts_without_one():
    seen: dict[int, list[str | None]] = {}

    def worker(n: int) -> None:
        seen[n] = [current_request_id()]  # a new green thread inherits nothing from the one that spawned it
        with scoped(request_id=f"req-{n}"):
            for _ in range(5):
                eventlet.sleep(0)  # every other worker runs in between
                seen[n].append(current_request_id())
        seen[n].append(current_request_id())

    with scoped(request_id="spawner"):
        pool = eventlet.GreenPool(50)
        for n in range(50):
            pool.spawn(worker, n)
        pool.waitall()
        assert current_request_id() == "spawner"
    assert seen == {n: [None, *[f"req-{n}"] * 5, None] for n in range(50)}


def entrypoint(kind: type, method: str, *args) -> object:
    made = kind(*args)
    made.method_name = method
    return made


def worker_ctx(entry, data: dict | None = None, args: tuple = ()) -> SimpleNamespace:
    return SimpleNamespace(entrypoint=entry, service_name="registration", data=data or {}, args=args)


def run(provider: RequestContext, ctx: SimpleNamespace, exc: BaseException | None = None) -> object:
    """What nameko does around a worker: setup, the method (here: look at the scope), result, teardown."""
    provider.worker_setup(ctx)
    during = current_scope()
    provider.worker_result(ctx, None, (type(exc), exc, None) if exc else None)
    provider.worker_teardown(ctx)
    return during


@pytest.fixture
def provider() -> RequestContext:
    made = RequestContext()
    made.setup()
    return made


def test_an_rpc_runs_under_its_callers_request_id_and_says_how_it_went(provider):
    rpc = entrypoint(Rpc, "decide")
    with json_lines("shared.context") as lines:
        during = run(provider, worker_ctx(rpc, {"request_id": "trace-7", "language": "vi"}))
        assert (during.request_id, during.correlation_id, during.handler) == ("trace-7", None, "registration.decide")
        assert current_scope().request_id is None  # the green thread's next worker starts clean
        run(provider, worker_ctx(rpc, {"request_id": "trace-8"}), NotFound("No such participation."))
        run(provider, worker_ctx(rpc, {"request_id": "trace-9"}), KeyError("bug"))
    ok, rejected, failed = lines()
    assert {key: ok[key] for key in ("level", "message", "request_id", "handler", "status")} == {
        "level": "INFO",
        "message": "handled rpc registration.decide: ok",
        "request_id": "trace-7",
        "handler": "registration.decide",
        "status": "ok",
    }
    assert ok["duration_ms"] >= 0 and "error" not in ok
    assert (rejected["request_id"], rejected["status"], rejected["error"]) == ("trace-8", "rejected", "not_found")
    assert (failed["request_id"], failed["status"], failed["error"]) == ("trace-9", "error", "KeyError")


def test_an_event_handler_runs_under_the_events_correlation_id(provider):
    handler = entrypoint(EventHandler, "on_approved", "vn.ketnoi.registration.participation.approved.v1")
    event = {"id": "ev-1", "type": "vn.ketnoi.registration.participation.approved.v1", "correlationid": "trace-7"}
    with json_lines("shared.context") as lines:
        during = run(provider, worker_ctx(handler, {"request_id": "trace-7"}, (event,)))
    assert (during.request_id, during.correlation_id) == ("trace-7", "trace-7")
    [line] = lines()
    assert (line["request_id"], line["correlation_id"], line["status"], line["event_id"], line["event_type"]) == (
        "trace-7",
        "trace-7",
        "ok",
        "ev-1",
        event["type"],
    )


def test_pings_are_debug_and_timers_log_no_line_each_pass(provider):
    with json_lines("shared.context") as lines:
        run(provider, worker_ctx(entrypoint(Rpc, "ping")))
        during = run(provider, worker_ctx(entrypoint(Timer, "dispatch_due", 1)))
    assert during.handler == "registration.dispatch_due" and during.request_id is None
    assert [(line["level"], line["handler"]) for line in lines()] == [("DEBUG", "registration.ping")]


def test_the_access_line_has_the_route_status_and_request_id_never_the_query():
    provider = SimpleNamespace(
        url="/v1/registration-claims/<claim_id>",
        method_name="get_claim",
        container=SimpleNamespace(service_name="gateway"),
    )
    environ = EnvironBuilder(path="/v1/registration-claims/clm_1", query_string="token=secret").get_environ()
    request = Request(environ)
    request.request_id = "trace-3"
    probe = Request(EnvironBuilder(path="/healthz").get_environ())
    probe.request_id = "probe-1"
    with json_lines("gateway.access") as lines:
        log_access(environ, request, Response(status=403), provider, started=0.0)
        log_access({}, probe, Response(status=200), None, started=0.0)
    claim, healthz = lines()
    assert {key: claim[key] for key in ("level", "request_id", "handler", "status", "method", "route")} == {
        "level": "INFO",
        "request_id": "trace-3",
        "handler": "gateway.get_claim",
        "status": "403",
        "method": "GET",
        "route": "/v1/registration-claims/<claim_id>",
    }
    assert "secret" not in json.dumps(claim)  # claim and unsubscribe links carry their token in the query
    assert (healthz["level"], healthz["request_id"], healthz["route"]) == ("DEBUG", "probe-1", None)


def test_eventlets_own_access_line_is_dropped_and_its_other_lines_kept(caplog):
    server_log = EventletLog(logging.getLogger("nameko.web.server"))
    with caplog.at_level(logging.DEBUG, logger="nameko.web.server"):
        server_log.info("")  # its access line, with log_format=""
        server_log.info("(42) wsgi starting up on http://127.0.0.1:8000")
        server_log.error("chunked encoding error while discarding request body.")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "(42) wsgi starting up on http://127.0.0.1:8000"),
        (logging.ERROR, "chunked encoding error while discarding request body."),
    ]
