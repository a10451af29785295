"""A RabbitMQ node of its own, on another port, for fault drills that restart the broker
(and for tests that need its management API, which the machine's broker does not enable).

Stopping the machine's RabbitMQ would take down everything else that uses it
(``make up``, other tests, other projects); a drill starts a second node from
the same Debian package, with its own name, port, data directory and Erlang
cookie, and stops only that.  Starting one takes about 7 s; ``pause()`` and
``resume()`` stop and start its application (the Erlang VM stays up), which is
what a broker restart looks like to a client.  With ``prometheus=True`` it also
runs RabbitMQ's rabbitmq_prometheus plugin on a port of its own, on loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from scripts.stack import free_port

BIN = Path("/usr/lib/rabbitmq/bin")
# the production broker's advanced settings (docker-compose.yml and k8s mount the same file)
ADVANCED_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "rabbitmq" / "advanced.config"


def available() -> bool:
    return (BIN / "rabbitmq-server").exists() and (BIN / "rabbitmqctl").exists()


class PrivateBroker:
    def __init__(self, directory: Path, *, prometheus: bool = False, management: bool = False) -> None:
        self.directory = directory
        self.port = free_port()
        self.prometheus_port = free_port() if prometheus else None
        self.management_port = free_port() if management else None
        self.node = f"ketnoi-drill-{uuid.uuid4().hex[:6]}@localhost"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}/"

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        d = self.directory
        return {
            **os.environ,
            "HOME": str(d),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(d / "pid"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(ADVANCED_CONFIG),
        }

    def ctl(self, *args: str, timeout: float = 60) -> str:
        return subprocess.run(
            [str(BIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self._env(),
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        ).stdout

    def start(self) -> None:
        for sub in ("log", "mnesia"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        plugins, config = [], f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
        if self.prometheus_port:
            plugins.append("rabbitmq_prometheus")
            config += f"prometheus.tcp.ip = 127.0.0.1\nprometheus.tcp.port = {self.prometheus_port}\n"
        if self.management_port:
            plugins.append("rabbitmq_management")
            config += f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
        (self.directory / "enabled_plugins").write_text(f"[{','.join(plugins)}].\n")
        (self.directory / "rabbitmq.conf").write_text(config)
        subprocess.run(
            [str(BIN / "rabbitmq-server"), "-detached"],
            env=self._env(),
            check=True,
            cwd=self.directory,
            capture_output=True,
            timeout=60,
        )
        self.ctl("wait", str(self.directory / "pid"), "--timeout", "60", timeout=90)

    def pause(self) -> None:
        """The broker goes away (connections drop, ports refuse) until :meth:`resume`."""
        self.ctl("stop_app")

    def resume(self) -> None:
        self.ctl("start_app")

    def stop(self) -> None:
        """Stop the node (its Erlang VM too) and remove its data."""
        try:
            self.ctl("stop", timeout=60)
        except (subprocess.SubprocessError, OSError):
            pid = self.directory / "pid"
            if pid.exists():
                subprocess.run(["kill", pid.read_text().strip()], check=False)
        shutil.rmtree(self.directory, ignore_errors=True)
