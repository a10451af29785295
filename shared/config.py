"""Settings read from the environment, with defaults that work on a laptop.

Every service and tool reads configuration through :func:`settings` so that the
same variable means the same thing everywhere (``make up``, the tests, compose
and Kubernetes).  Nameko's own ``config.yaml`` files substitute the same
variables with ``${VAR:default}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

DEV_JWT_SECRET = "ketnoi-dev-secret-not-for-production"


def flag(name: str, default: str = "0") -> bool:
    """An on/off setting: 1, true, yes or on (any case) is on."""
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """One place for the environment variables the project understands."""

    amqp_uri: str
    mongo_uri: str
    db_prefix: str
    events_exchange: str
    public_exchange: str
    rabbitmq_management_url: str  # empty: port 15672 of the AMQP host (shared.events.provinces)
    history_max_age: str  # how long each province's stream keeps events (RabbitMQ x-max-age: 400D, 18M…)
    jwt_secret: str
    dev_mode: bool
    rpc_timeout: float
    cors_origins: tuple[str, ...]
    max_body_bytes: int

    def database_name(self, service: str) -> str:
        """Each service owns exactly one database, named after it."""
        return f"{self.db_prefix}_{service}"


@cache
def settings() -> Settings:
    """Read the environment once per process.

    Outside dev mode a JWT secret must be given: a default secret in
    production would let anyone mint an organiser token.
    """
    dev_mode = flag("KETNOI_DEV_MODE")
    secret = os.environ.get("KETNOI_JWT_SECRET", "")
    if not secret:
        if not dev_mode:
            raise RuntimeError("KETNOI_JWT_SECRET is required unless KETNOI_DEV_MODE=1")
        secret = DEV_JWT_SECRET
    # a frontend's dev server: Create React App / Next (3000), Vite (5173, preview 4173), others (8080)
    dev_origins = ",".join(
        f"http://{host}:{port}" for port in (3000, 5173, 4173, 8080) for host in ("localhost", "127.0.0.1")
    )
    origins = os.environ.get(
        "KETNOI_CORS_ORIGINS", dev_origins if dev_mode else "http://localhost:3000,http://127.0.0.1:3000"
    )
    return Settings(
        amqp_uri=os.environ.get("KETNOI_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        mongo_uri=os.environ.get("KETNOI_MONGO_URI", "mongodb://127.0.0.1:27117/"),
        db_prefix=os.environ.get("KETNOI_DB_PREFIX", "ketnoi"),
        events_exchange=os.environ.get("KETNOI_EVENTS_EXCHANGE", "ketnoi.events"),
        public_exchange=os.environ.get("KETNOI_PUBLIC_EXCHANGE", "ketnoi.public"),
        rabbitmq_management_url=os.environ.get("KETNOI_RABBITMQ_MANAGEMENT_URL", ""),
        history_max_age=os.environ.get("KETNOI_HISTORY_MAX_AGE", "400D"),
        jwt_secret=secret,
        dev_mode=dev_mode,
        rpc_timeout=float(os.environ.get("KETNOI_RPC_TIMEOUT", "5")),
        cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        max_body_bytes=int(os.environ.get("KETNOI_MAX_BODY_BYTES", str(1024 * 1024))),
    )
