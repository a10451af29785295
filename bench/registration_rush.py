"""Registration rush: many organisations submit the public form at once, compared with a bare nameko echo.

The opening hour of a registration window is ketnoi's peak load.  Absolute
req/s depend on the machine, so the bench also measures, in the same run and
with the same clients, the cheapest HTTP→RPC round trip nameko can do
(``bench/echo.py``); the ratio between the two is the number that travels.

Targets: gateway/echo throughput ratio >= 0.7, gateway p99 < 300 ms at 32
clients, no errors, and the store holds exactly one registration per
successful POST.  Missed targets are printed as MISSED; the exit code stays 0
because this is a measurement, not a test.

Two more numbers explain the first ones.  Both systems are CPU-bound on a
small machine, so the bench prints the CPU each process spent per successful
request (from ``/proc``): the ratio is the echo's total over the
registration's.  And a registration is not finished when its answer is: the
bench waits until every event of the rush has left the outbox and been taken
by its consumers, and prints how long after the last answer that was.

The load generator is plain threads with ``requests`` and no eventlet monkey
patching: the clients must run in parallel with the servers, not as green
threads co-operating with them.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.workspace import workspace
from demo.load import Api
from registration.domain.taxcode import tax_codes
from scripts.stack import (
    ROOT,
    Stack,
    StackConfig,
    free_port,
    metrics_port_var,
    port_open,
    service_names,
)
from shared.reference.provinces import MERGER_DATE, provinces_on

WARMUP_REQUESTS = 50
PER_CLIENT_CAP = 10_000
TIMEOUT = 30.0
TARGET_RATIO = 0.7
TARGET_P99_MS = 300.0
TARGET_CLIENTS = 32

# Edition in a year's time, so only the 34 post-merger provinces are valid (as for any new edition).
EDITION_DAY = max(date.today() + timedelta(days=365), MERGER_DATE)
PROVINCES = sorted(provinces_on(EDITION_DAY))
SERIES_KEY = "bench-registration-rush"

# The echo services get the same worker pools as services/gateway (64) and services/registration (10)
# in their config.yaml, so the comparison measures code, not configuration.
ECHO_WORKERS = {"EchoRpc": 10, "EchoHttp": 64}

Sample = tuple[float, int]  # (latency in seconds, HTTP status; 0 for an exception)


# -- what the clients send -----------------------------------------------------------------------


class Forms:
    """Valid, never-repeated registration forms: each uses the next tax code that has a check digit.

    Unique organisations mean a 409 can only come from a doubled write, so
    counting 409s checks the store as well as the speed.
    """

    def __init__(self) -> None:
        self._codes = tax_codes(100_000_000)
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        with self._lock:
            n, tax_code = next(self._codes)
        return {
            "organisation": {
                "kind": "enterprise",
                "legal_name": {"vi": f"Công ty TNHH Nông sản Xanh {tax_code}", "en": f"Green Farm Co. {tax_code}"},
                "tax_code": tax_code,
                "province": PROVINCES[n % len(PROVINCES)],
                "sectors": ["nong-san", "thuc-pham"],
                "delegates": [
                    {
                        "name": "Nguyễn Thị Lan",
                        "position": "Giám đốc",
                        "email": f"lan.{tax_code}@example.vn",
                        "phone": f"0912 {n // 1000 % 1000:03d} {n % 1000:03d}",
                    }
                ],
            },
            "role": "exhibitor",
            "wants": {"booths": 1, "b2b": True},
        }


# -- the systems under test ----------------------------------------------------------------------


def open_edition(api: Api) -> tuple[str, str]:
    """A series and an edition open for registration now; returns (edition id, organiser token)."""
    series = api.call("POST", "/v1/series", {"key": SERIES_KEY, "name": {"vi": "Kết nối bench"}}, api.token(role="ops"))
    organiser = api.token(role="organiser", series=series["id"])
    now = datetime.now(UTC).replace(microsecond=0)
    edition = api.call(
        "POST",
        "/v1/editions",
        {
            "series_id": series["id"],
            "title": {"vi": "Tuần lễ kết nối cung cầu (bench)"},
            "host_province": "thanh-hoa",
            "partner_provinces": ["nghe-an", "ha-noi"],
            "venue": {"name": "Quảng trường Lam Sơn", "address": "TP Thanh Hóa"},
            "starts_on": EDITION_DAY.isoformat(),
            "ends_on": (EDITION_DAY + timedelta(days=2)).isoformat(),
            "registration_opens_at": (now - timedelta(days=1)).isoformat(),
            "registration_closes_at": (now + timedelta(days=30)).isoformat(),
        },
        organiser,
    )
    api.call("POST", f"/v1/editions/{edition['id']}/status", {"status": "open"}, organiser)
    return edition["id"], organiser


class Echo:
    """``bench/echo.py`` as two ``nameko run`` processes, started and stopped by pid."""

    def __init__(self, work_dir: Path, amqp: str) -> None:
        self.work_dir = work_dir
        self.amqp = amqp
        self.port = free_port()
        self.processes: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/echo"

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "EVENTLET_NO_GREENDNS": "yes",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        nameko = str(Path(sys.executable).with_name("nameko"))
        logs = self.work_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service, workers in ECHO_WORKERS.items():
            config = self.work_dir / f"echo-{service}.yaml"
            config.write_text(
                f"AMQP_URI: '{self.amqp}'\nWEB_SERVER_ADDRESS: '127.0.0.1:{self.port}'\n"
                f"max_workers: {workers}\nserializer: json\n"
            )
            with open(logs / f"echo-{service}.log", "ab") as out:
                self.processes.append(
                    subprocess.Popen(
                        [nameko, "run", "--config", str(config), f"bench.echo:{service}"],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"an echo service exited; see {logs}")
            if port_open(self.port):
                try:
                    if requests.post(self.url, json={"ping": 1}, timeout=5).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.3)
        raise TimeoutError(f"echo not ready after {timeout:g}s; see {logs}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()


# -- where the CPU goes ------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rabbitmq_pid() -> int | None:
    """The local broker's Erlang VM: not ours to stop, but its CPU is part of every request."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"beam.smp") and b"rabbit" in b" ".join(argv):
                return int(entry.name)
    return None


class CpuMeter:
    """CPU seconds of each process of the system under test over a run, read from ``/proc``.

    On two cores both systems are CPU-bound, so the throughput ratio is the
    ratio of CPU spent per request; this shows which process spends it.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self._start: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        return {name: _cpu_seconds(pid) for name, pid in self.pids.items()}

    def __enter__(self) -> CpuMeter:
        self._start = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._read()
        self.used = {name: end[name] - self._start[name] for name in self.pids}


def settle_seconds(stack: Stack, vhost: str | None, timeout: float = 300) -> float | None:
    """Seconds until every event of the rush was published and handled, or None where that cannot be seen.

    The rush is over for the clients when their last answer arrives; it is over
    for the system when every service's outbox is empty and no handler queue
    (retry queues included) holds a message, ready or taken but not yet acked:
    ``rabbitmqctl list_queues … messages`` counts both, which AMQP itself cannot.
    """
    if vhost is None or not shutil.which("rabbitmqctl"):
        return None
    from prometheus_client.parser import text_string_to_metric_families

    env = stack.config.env()
    metrics_urls = [f"http://127.0.0.1:{env[metrics_port_var(name)]}/metrics" for name in service_names()]

    def backlog() -> float:
        return sum(
            sample.value
            for url in metrics_urls
            for family in text_string_to_metric_families(requests.get(url, timeout=5).text)
            if family.name == "ketnoi_outbox_backlog"
            for sample in family.samples
        )

    def in_queues() -> int:
        listed = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows = (line.split() for line in listed.splitlines())
        return sum(
            int(row[1])
            for row in rows
            if len(row) == 2 and row[1].isdigit() and row[0].startswith("ketnoi.") and not row[0].endswith(".dead")
        )

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if in_queues() == 0 and backlog() == 0:
            return time.monotonic() - start
        time.sleep(0.5)
    return math.inf


# -- the load --------------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    samples: list[Sample]
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process over the run

    def cpu_ms_per_request(self, process: str) -> float:
        return 1000 * self.cpu.get(process, 0.0) / self.ok if self.ok else math.nan

    @property
    def ok(self) -> int:
        return sum(1 for _, status in self.samples if 200 <= status < 300)

    @property
    def errors(self) -> int:
        return len(self.samples) - self.ok

    @property
    def conflicts(self) -> int:
        return sum(1 for _, status in self.samples if status == 409)

    @property
    def throughput(self) -> float:
        """Successful requests per second: fast error answers must not look like speed."""
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile over every request, failed ones included."""
        latencies = sorted(latency for latency, _ in self.samples)
        if not latencies:
            return math.nan
        return 1000 * latencies[max(0, math.ceil(p / 100 * len(latencies)) - 1)]

    def error_kinds(self) -> str:
        kinds = Counter("exception" if s == 0 else str(s) for _, s in self.samples if not 200 <= s < 300)
        return ", ".join(f"{k}×{n}" for k, n in kinds.most_common()) or "none"


def client(url: str, form: Callable[[], dict[str, Any]], deadline: float, cap: int) -> list[Sample]:
    """One client: its own connection, requests back to back until the deadline or the cap."""
    samples: list[Sample] = []
    with requests.Session() as session:
        while len(samples) < cap and time.perf_counter() < deadline:
            body = form()
            start = time.perf_counter()
            try:
                status = session.post(url, json=body, timeout=TIMEOUT).status_code
            except requests.RequestException:
                status = 0
            samples.append((time.perf_counter() - start, status))
    return samples


def rush(
    name: str,
    url: str,
    form: Callable[[], dict[str, Any]],
    clients: int,
    seconds: float,
    cap: int = PER_CLIENT_CAP,
    pids: dict[str, int] | None = None,
) -> Run:
    with CpuMeter({**(pids or {}), "clients (this process)": os.getpid()}) as meter:
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(client, url, form, start + seconds, cap) for _ in range(clients)]
            samples = [sample for future in futures for sample in future.result()]
        elapsed = time.perf_counter() - start
    return Run(name, samples, elapsed, meter.used)


def warm_up(name: str, url: str, form: Callable[[], dict[str, Any]], clients: int) -> Run:
    """Open every client's connection and fill the servers' pools and caches before measuring."""
    return rush(name, url, form, clients, seconds=60, cap=max(1, math.ceil(WARMUP_REQUESTS / clients)))


# -- the report ----------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report(runs: list[Run], clients: int, seconds: float) -> Run:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"\nregistration rush  {datetime.now().astimezone().isoformat(timespec='seconds')}  "
        f"nproc={cpus}  python {sys.version.split()[0]}  {clients} clients × {seconds:g} s"
    )
    print(
        f"{'target':<9}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'409':>6}  error kinds"
    )
    for run in runs:
        print(
            f"{run.name:<9}{len(run.samples):>10}{run.throughput:>10.1f}{run.percentile_ms(50):>9.1f}"
            f"{run.percentile_ms(95):>9.1f}{run.percentile_ms(99):>9.1f}{run.errors:>8}{run.conflicts:>6}"
            f"  {run.error_kinds()}"
        )
    echo, gateway = runs
    ratio = gateway.throughput / echo.throughput if echo.throughput else 0.0
    p99 = gateway.percentile_ms(99)
    note = "" if clients == TARGET_CLIENTS else f" (target is set for {TARGET_CLIENTS} clients)"
    print(f"throughput ratio gateway/echo: {ratio:.2f}   target >= {TARGET_RATIO}: {verdict(ratio >= TARGET_RATIO)}")
    print(f"gateway p99: {p99:.1f} ms   target < {TARGET_P99_MS:g} ms{note}: {verdict(p99 < TARGET_P99_MS)}")
    errors = echo.errors + gateway.errors
    print(f"errors: {errors}   target 0: {verdict(errors == 0)}")
    print("\nCPU ms per successful request, by process (both runs are CPU-bound on this machine):")
    processes = list(dict.fromkeys([*echo.cpu, *gateway.cpu]))
    for process in sorted(processes, key=lambda p: -max(echo.cpu_ms_per_request(p), gateway.cpu_ms_per_request(p))):
        cells = [
            f"{run.cpu_ms_per_request(process):>8.2f}" if process in run.cpu else f"{'':>8}" for run in (echo, gateway)
        ]
        print(f"  {process:<24}{cells[0]}{cells[1]}")
    print(
        f"  {'total':<24}"
        + "".join(f"{sum(run.cpu.values()) * 1000 / run.ok if run.ok else math.nan:>8.2f}" for run in (echo, gateway))
    )
    return gateway


def stored_registrations(api: Api, edition_id: str, organiser: str) -> int:
    stats = api.call("GET", f"/v1/editions/{edition_id}/stats", token=organiser)
    return sum(stats["status"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=TARGET_CLIENTS)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs (kept anyway on errors)")
    args = parser.parse_args()

    with workspace("ketnoi-bench-", keep=args.keep) as work:
        stack = Stack(StackConfig.for_tests(work.dir / "stack", work.amqp))
        echo = Echo(work.dir / "echo", work.amqp)
        try:
            print(f"starting the stack and the echo services (logs in {work.dir}) …", flush=True)
            stack.start(timeout=90)
            echo.start()
            api = Api(stack.config.gateway_url)
            edition_id, organiser = open_edition(api)
            register_url = f"{stack.config.gateway_url}/v1/editions/{edition_id}/registrations"
            form = Forms()

            broker = {"rabbitmq (shared)": rabbitmq_pid()}
            echoes = {f"echo {n}": p.pid for n, p in zip(ECHO_WORKERS, echo.processes, strict=True)}
            services = {n: p.pid for n, p in stack.processes.items()}
            pids = {"echo": {**broker, **echoes}, "gateway": {**broker, **services}}
            runs = []
            warm_ok = 0
            for name, url in (("echo", echo.url), ("gateway", register_url)):
                warm = warm_up(name, url, form, args.clients)
                warm_ok += warm.ok if name == "gateway" else 0
                print(
                    f"{name}: warm-up {len(warm.samples)} requests ({warm.errors} errors); "
                    f"measuring {args.seconds:g} s …",
                    flush=True,
                )
                runs.append(rush(name, url, form, args.clients, args.seconds, pids=pids[name]))
            settled = settle_seconds(stack, work.vhost)
            gateway = report(runs, args.clients, args.seconds)
            print(
                "events: "
                + (
                    "not measured (needs rabbitmqctl and a private vhost)"
                    if settled is None
                    else f"every event of the rush published and handled {settled:.1f} s after the last answer"
                )
            )

            stored = stored_registrations(api, edition_id, organiser)
            posted = warm_ok + gateway.ok
            same = stored == posted
            print(
                f"store: {stored} registrations, {posted} successful POSTs (incl. {warm_ok} warm-up): "
                f"{'equal, no lost or doubled writes' if same else 'MISMATCH'}"
            )
            work.keep = work.keep or not same or any(run.errors for run in runs)
        finally:
            echo.stop()
            stack.stop()


if __name__ == "__main__":
    main()
