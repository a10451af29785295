"""Every entrypoint's calls and time are counted under its kind: latency alerts look at what callers wait on."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from nameko.timer import Timer
from prometheus_client import REGISTRY

from gateway.http import ApiHandler
from shared.entrypoints import OutageProofRpc
from shared.errors import InvalidInput
from shared.events.consumer import EventHandler
from shared.metrics import ServiceMetrics

ENTRYPOINTS = [
    pytest.param(ApiHandler("GET", "/v1/things"), "http", id="http"),
    pytest.param(OutageProofRpc(), "rpc", id="rpc"),
    pytest.param(EventHandler("vn.ketnoi.test.thing.created.v1"), "event", id="event"),
    pytest.param(Timer(interval=1), "timer", id="timer"),
]


def run_worker(metrics: ServiceMetrics, entrypoint, exc_info=None) -> None:
    worker_ctx = SimpleNamespace(entrypoint=entrypoint)
    metrics.worker_setup(worker_ctx)
    metrics.worker_result(worker_ctx, exc_info=exc_info)


@pytest.mark.parametrize(("entrypoint", "kind"), ENTRYPOINTS)
def test_calls_and_durations_carry_the_entrypoint_kind(entrypoint, kind):
    service = f"unit-{uuid.uuid4().hex[:6]}"  # a service of its own: other tests' counts are not ours
    metrics = ServiceMetrics()
    metrics.container = SimpleNamespace(service_name=service, config={})  # no METRICS_PORT: no exporter
    metrics.setup()
    entrypoint.method_name = "do_thing"
    rejected, bug = InvalidInput("no"), RuntimeError("bug")

    run_worker(metrics, entrypoint)
    run_worker(metrics, entrypoint)
    run_worker(metrics, entrypoint, (InvalidInput, rejected, None))
    run_worker(metrics, entrypoint, (RuntimeError, bug, None))

    def calls(outcome: str, of_kind: str = kind) -> float | None:
        return REGISTRY.get_sample_value(
            "ketnoi_entrypoint_calls_total",
            {"service": service, "entrypoint": "do_thing", "kind": of_kind, "outcome": outcome},
        )

    assert (calls("ok"), calls("rejected"), calls("error")) == (2, 1, 1)
    assert (
        REGISTRY.get_sample_value(
            "ketnoi_entrypoint_duration_seconds_count", {"service": service, "entrypoint": "do_thing", "kind": kind}
        )
        == 4
    )
    assert all(calls("ok", other) is None for other in ("http", "rpc", "event", "timer") if other != kind)
