"""Run the whole system as local processes: ``make up`` and the end-to-end tests.

One embedded store (nx-27017, in its own virtualenv because it needs a newer
PyMongo than eventlet allows), the RabbitMQ topology, every service under
``services/`` as its own ``nameko run`` process, then the gateway.  Each
process is started and stopped by its pid; nothing else on the machine is
touched.  ``python -m scripts.stack up`` runs in the foreground until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from shared.logs import configure

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = "gateway"
log = logging.getLogger("stack")


def service_names() -> list[str]:
    """Every service folder with a nameko config; the gateway starts last."""
    names = sorted(p.parent.name for p in (ROOT / "services").glob("*/config.yaml"))
    return [n for n in names if n != GATEWAY] + [GATEWAY]


def metrics_port_var(name: str) -> str:
    return f"KETNOI_{name.upper()}_METRICS_PORT"


def default_metrics_port(name: str) -> int:
    """The default in the service's own config.yaml (``${KETNOI_X_METRICS_PORT:9101}``): one source of truth."""
    text = (ROOT / "services" / name / "config.yaml").read_text(encoding="utf-8")
    return int(re.search(r"\$\{" + metrics_port_var(name) + r":(\d+)\}", text).group(1))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def private_vhost(base_uri: str) -> tuple[str, str | None]:
    """A fresh vhost on the local broker (via rabbitmqctl), or the base URI where that is impossible."""
    if not shutil.which("rabbitmqctl") or urlsplit(base_uri).hostname not in ("127.0.0.1", "localhost"):
        return base_uri, None
    vhost = f"ketnoi-test-{uuid.uuid4().hex[:8]}"
    # bounded: the CLI has 11 distribution ports (35672-35682); a call left hanging holds one for good
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=120)
    user = urlsplit(base_uri).username or "guest"
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    parts = urlsplit(base_uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{vhost}", "", "")), vhost


def drop_vhost(vhost: str) -> None:
    """Best effort: a vhost of some hundred quorum queues takes a while to go, and a stuck one must not hang."""
    with suppress(subprocess.TimeoutExpired):
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False, capture_output=True, timeout=180)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackConfig:
    data_dir: Path
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    store_port: int = 27117
    gateway_port: int = 8000
    smtp_port: int = 8025  # the local SMTP sink notifications sends to (make up, tests)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    db_prefix: str = "ketnoi"
    dev_mode: bool = True
    echo: bool = False  # every line on the console too, as people read it (make up)
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, data_dir: Path) -> StackConfig:
        """``make up``: the defaults above, each overridable like the services' own settings."""
        env = os.environ
        return cls(
            data_dir=data_dir,
            amqp_uri=env.get("KETNOI_AMQP_URI", cls.amqp_uri),
            store_port=int(env.get("KETNOI_STORE_PORT", cls.store_port)),
            gateway_port=int(env.get("KETNOI_GATEWAY_PORT", cls.gateway_port)),
            smtp_port=int(env.get("KETNOI_SMTP_PORT", cls.smtp_port)),
            echo=True,
        )

    @classmethod
    def for_tests(cls, data_dir: Path, amqp_uri: str) -> StackConfig:
        """Free ports and a private database prefix, so tests never meet ``make up``."""
        return cls(
            data_dir=data_dir,
            amqp_uri=amqp_uri,
            store_port=free_port(),
            gateway_port=free_port(),
            smtp_port=free_port(),
            metrics_ports={n: free_port() for n in service_names()},
            db_prefix=f"t{os.getpid()}",
        )

    @property
    def logs(self) -> Path:
        """Where each process writes ``<name>.log``: one JSON object per line (:mod:`shared.logs`)."""
        return self.data_dir / "logs"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.store_port}/"

    @property
    def mail_dir(self) -> Path:
        """Where the SMTP sink keeps what was sent (a maildir: one file per message under ``new/``)."""
        return self.data_dir / "mail"

    @property
    def outbox_dir(self) -> Path:
        """Where SMS and Zalo messages are written when no provider is configured."""
        return self.data_dir / "outbox"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), *(str(ROOT / "services" / n) for n in service_names())]),
            "EVENTLET_NO_GREENDNS": "yes",  # eventlet 0.33's green DNS breaks PyMongo's resolver calls
            "KETNOI_AMQP_URI": self.amqp_uri,
            "KETNOI_MONGO_URI": self.mongo_uri,
            "KETNOI_DB_PREFIX": self.db_prefix,
            "KETNOI_DEV_MODE": "1" if self.dev_mode else "0",
            "KETNOI_GATEWAY_PORT": str(self.gateway_port),
            "KETNOI_PUBLIC_URL": self.gateway_url,
            "KETNOI_SMTP_HOST": "127.0.0.1",
            "KETNOI_SMTP_PORT": str(self.smtp_port),
            "KETNOI_SMS_OUTBOX": str(self.outbox_dir / "sms.jsonl"),
            "KETNOI_ZALO_OUTBOX": str(self.outbox_dir / "zalo.jsonl"),
            **self.extra_env,
        }
        for name in service_names():
            default = env.get(metrics_port_var(name), default_metrics_port(name))
            env[metrics_port_var(name)] = str(self.metrics_ports.get(name, default))
        return env


def readable(line: str) -> str:
    """A JSON log line as people read it on the console (the file keeps the JSON)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line.rstrip("\n")
    if not isinstance(record, dict):
        return line.rstrip("\n")
    text = (
        f"{record.get('time', '')[11:23]} {record.get('level', '')} [{record.get('request_id') or '-'}] "
        f"{record.get('logger')}: {record.get('message')}"
    )
    return f"{text}\n{record['exc_info']}" if record.get("exc_info") else text


def _pump(stream: IO[bytes], name: str, log_file: Path) -> None:
    """Each line to the process's log file, and to the console readably."""
    with open(log_file, "ab") as out:
        for line in iter(stream.readline, b""):
            out.write(line)
            out.flush()
            sys.stdout.write(f"{name:>12} | {readable(line.decode('utf-8', 'replace'))}\n")
            sys.stdout.flush()


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        self.process_env: dict[str, dict[str, str]] = {}  # what each process was started with, for restarts
        self.python = sys.executable
        self.store_python = str(ROOT / ".venv-store" / "bin" / "python")

    # -- processes ------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        cfg = self.config
        env = {**cfg.env(), **(env or {})}
        cfg.logs.mkdir(parents=True, exist_ok=True)
        log_file = cfg.logs / f"{name}.log"
        if cfg.echo:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
            )
            threading.Thread(target=_pump, args=(process.stdout, name, log_file), daemon=True).start()
        else:
            with open(log_file, "ab") as out:
                process = subprocess.Popen(
                    argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
        self.processes[name] = process
        return process

    def start_store(self) -> None:
        data = self.config.data_dir / "store"
        data.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "store",
            [
                self.store_python,
                "-m",
                "scripts.store_server",
                "--data-dir",
                str(data),
                "--port",
                str(self.config.store_port),
                "--pid-file",
                str(data / "nx.pid"),
            ],
        )
        self._wait(lambda: port_open(self.config.store_port), 30, "the store", watch=("store",))

    def start_smtp_sink(self) -> None:
        """aiosmtpd's Mailbox handler: every message notifications sends lands in a local maildir."""
        self.config.mail_dir.parent.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "smtp",
            [
                self.python,
                "-m",
                "scripts.smtp_sink",
                "-n",
                "-l",
                f"127.0.0.1:{self.config.smtp_port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.config.mail_dir),
            ],
        )
        self._wait(lambda: port_open(self.config.smtp_port), 30, "the SMTP sink", watch=("smtp",))

    def declare_topology(self) -> None:
        modules = [f"{n}.service" for n in service_names()]
        subprocess.run(
            [self.python, "-m", "shared.events.declare", *modules],
            cwd=ROOT,
            env=self.config.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start_service(self, name: str, replica: int = 0, env: dict[str, str] | None = None) -> subprocess.Popen:
        """``nameko run`` of one service; ``replica`` > 0 starts another process of it (as production scales),
        with a metrics port of its own.  A restart gets the same ports and ``env`` again."""
        key = f"{name}-{replica}" if replica else name
        if key not in self.process_env:
            self.process_env[key] = {**({metrics_port_var(name): str(free_port())} if replica else {}), **(env or {})}
        config = ROOT / "services" / name / "config.yaml"
        nameko = str(Path(self.python).with_name("nameko"))
        return self._spawn(key, [nameko, "run", "--config", str(config), f"{name}.service"], self.process_env[key])

    def stop_process(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def start(self, timeout: float = 60) -> None:
        if not port_open(self.config.store_port):
            self.start_store()
        if not port_open(self.config.smtp_port):
            self.start_smtp_sink()
        self.declare_topology()
        for name in service_names():
            self.start_service(name)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        self._wait(self.ready, timeout, "the gateway's /readyz")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.config.gateway_url}/readyz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait(self, check, timeout: float, what: str, watch: tuple[str, ...] = ()) -> None:
        """Until ``check()``; fails early if a process (of ``watch``, or any) exits meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [n for n, p in self.processes.items() if p.poll() is not None and (not watch or n in watch)]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited while waiting for {what}")
            if check():
                return
            time.sleep(0.2)
        raise TimeoutError(f"{what} not ready after {timeout:g}s")

    def stop(self) -> None:
        """Services first (they drain their workers), the store last.  The services are signalled together:
        each drains only its own workers, and stopping a dozen replicas one by one took 25 s."""
        services = [n for n in self.processes if n not in ("store", "smtp")]
        running = [(n, p) for n, p in ((n, self.processes.pop(n)) for n in services) if p.poll() is None]
        for _, process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.stop_process("smtp")
        self.stop_process("store")


def banner(config: StackConfig) -> str:
    metrics = "\n".join(
        f"  {n:<13} http://127.0.0.1:{config.env()[metrics_port_var(n)]}/metrics" for n in service_names()
    )
    return f"""
ketnoi is up.
  API docs       {config.gateway_url}/docs   (OpenAPI: {config.gateway_url}/v1/openapi.json)
  health         {config.gateway_url}/readyz
metrics:
{metrics}
dev tokens (dev mode only):
  curl -s -XPOST {config.gateway_url}/v1/dev/tokens -H 'content-type: application/json' \\
       -d '{{"role":"organiser","series":"thanh-hoa-ket-noi"}}'
  roles: organiser (series), member (organisation), province (province), ops
messages sent (local sinks, nothing leaves this machine):
  e-mail         {config.mail_dir}/new/   (one file per message; SMTP sink on 127.0.0.1:{config.smtp_port})
  SMS, Zalo      {config.outbox_dir}/sms.jsonl, zalo.jsonl   (written, not sent: no provider configured)
logs           {config.logs}/*.log   (one JSON object per line: grep <X-Request-ID> {config.logs}/*.log | jq)
data: {config.data_dir} (kept across restarts; delete it to start afresh).
a process that exits is restarted (backoff 1 s … 30 s). Ctrl-C stops everything.
"""


class Supervisor:
    """Restarts a process of the stack that exits, with backoff, as Kubernetes or systemd would.

    A process that exits is started again after 1 s, then 2, 4, … up to 30 s
    while it keeps failing; one that stays up a minute starts from 1 s again.
    Each restart is logged with the exit code.  Only Ctrl-C or SIGTERM stop the
    stack.
    """

    FIRST, LONGEST, STEADY = 1.0, 30.0, 60.0

    def __init__(self, stack: Stack, log: logging.Logger = log) -> None:
        self.stack = stack
        self.log = log
        self.delay: dict[str, float] = {}
        self.due: dict[str, float] = {}
        self.started: dict[str, float] = {}

    def restart(self, name: str) -> None:
        if name == "store":
            self.stack.start_store()
        elif name == "smtp":
            self.stack.start_smtp_sink()
        else:
            service, _, replica = name.partition("-")
            self.stack.start_service(service, int(replica or 0))
        self.started[name] = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        for name, process in list(self.stack.processes.items()):
            if process.poll() is None:
                if now - self.started.get(name, now) > self.STEADY:
                    self.delay.pop(name, None)
                continue
            if name not in self.due:
                delay = self.delay.get(name, 0) * 2 or self.FIRST
                self.delay[name] = min(delay, self.LONGEST)
                self.due[name] = now + self.delay[name]
                self.log.warning(
                    "%s exited with code %s; restarting in %g s",
                    name,
                    process.returncode,
                    self.delay[name],
                    extra={"child": name, "exit_code": process.returncode},
                )
            elif now >= self.due[name]:
                del self.due[name]
                try:
                    self.restart(name)
                    self.log.info(
                        "%s restarted (pid %s)",
                        name,
                        self.stack.processes[name].pid,
                        extra={"child": name, "pid": self.stack.processes[name].pid},
                    )
                except Exception as exc:  # it will be tried again after the next, longer delay
                    self.log.error("%s could not be restarted: %s", name, exc, extra={"child": name})


def log_stack_to(logs: Path) -> None:
    """``make up``'s own lines (the supervisor's): JSON in ``stack.log`` beside every process's log, and on
    the console."""
    logs.mkdir(parents=True, exist_ok=True)
    configure("stack", os.environ.get("KETNOI_LOG_LEVEL", "INFO"), open(logs / "stack.log", "a", encoding="utf-8"))  # noqa: SIM115 (open while make up runs)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter(f"{'stack':>12} | %(message)s"))
    logging.getLogger().addHandler(console)


def up() -> None:
    from demo.load import load_demo

    config = StackConfig.from_environment(ROOT / "var")
    log_stack_to(config.logs)
    stack = Stack(config)
    supervisor = Supervisor(stack)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start()
        print(load_demo(config.gateway_url), flush=True)
        print(banner(config), flush=True)
        while not stopping.is_set():
            supervisor.tick()
            stopping.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping…", flush=True)
        try:
            stack.stop()
        finally:
            stop_broker_if_started_here()


def stop_broker_if_started_here() -> None:
    """The broker ``make up`` had to start (``scripts/ensure-rabbitmq.sh`` said so), never one that was running."""
    if os.environ.get("KETNOI_BROKER_STARTED_HERE") == "started" and shutil.which("rabbitmqctl"):
        print("stopping RabbitMQ (make up started it)…", flush=True)
        subprocess.run(["rabbitmqctl", "-q", "stop"], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up"])
    parser.parse_args()
    up()


if __name__ == "__main__":
    main()
