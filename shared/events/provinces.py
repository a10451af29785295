"""Per-province RabbitMQ credentials, enforced by the broker:
``python -m shared.events.provinces create|delete <province> [--password-file F]`` (``--ops NAME`` for a
user that reads every province).

A province's user may declare, bind, consume from and delete only queues
named ``province.<slug>.…``, may read (bind to) the exchange
``ketnoi.public`` and no other, and may publish nowhere.  Its **topic
permission** on ``ketnoi.public`` lets it bind only keys that start with
``<slug>.`` or ``national.`` (:mod:`shared.events.routing`): the broker answers
``ACCESS_REFUSED`` to a binding of ``#`` or of another province's key, so a
province cannot read what is not its own whatever its code does.  It may also
consume its history stream ``history.<slug>`` (:mod:`shared.events.history`)
from any offset, but not configure or delete it.  An ops user
(``--ops dashboard``: user ``ops.dashboard``, queues ``ops.dashboard.…``) may
bind any key.

It talks to the RabbitMQ **management HTTP API**, which production has
(``rabbitmq:3.13-management`` in docker-compose.yml and k8s/, port 15672,
reachable from the ketnoi network with the broker's administrator, the user
of ``KETNOI_AMQP_URI``): run it in any ketnoi container, e.g.
``kubectl exec -n ketnoi deploy/gateway -- python -m shared.events.provinces create quang-tri``.
Debian's broker (``make up``, the tests) ships the plugin but does not enable
it: ``rabbitmq-plugins enable rabbitmq_management`` there first (the tests
start a broker of their own with it).  ``rabbitmqctl`` would need to run on the
broker's own host or pod, which ketnoi's containers are not.

Both subcommands are idempotent.  ``create`` sets the permissions every time;
it sets the password from ``--password-file`` when given, generates and prints
one for a new user otherwise, and leaves an existing user's password alone.
``delete`` removes the user, then its queues (nobody would read them again,
and they would fill up).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from shared.config import settings
from shared.events.catalogue import NATIONAL
from shared.events.history import PREFIX as HISTORY_PREFIX
from shared.events.history import stream_name
from shared.reference.provinces import MERGER_DATE, ProvinceMerged, UnknownProvince, check_province

MANAGEMENT_PORT = 15672
NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


class ManagementError(Exception):
    """The management API refused a call (or is not there): the message says which and why."""


@dataclass(frozen=True)
class Reader:
    """Someone who consumes ``ketnoi.public``: its user, the queues it owns, the keys it may bind."""

    user: str
    keys: str  # regular expression on binding keys (RabbitMQ topic permission "read")
    history: str  # regular expression on the history streams it may read (shared.events.history), not configure

    @property
    def queues(self) -> str:
        """Its queues, ``<user>.<anything>``, as a regular expression (RabbitMQ's and Python's alike)."""
        return rf"^{re.escape(self.user)}\..+$"

    def permissions(self, exchange: str) -> dict[str, str]:
        """configure/write/read: its own queues; read also on ``exchange``, which a binding needs, and on its
        history streams, which it may consume from any offset but not delete."""
        return {
            "configure": self.queues,
            "write": self.queues,
            "read": rf"{self.queues}|^{re.escape(exchange)}$|{self.history}",
        }


def province_reader(slug: str) -> Reader:
    """The reader of one of the 34 units since 2025-07-01 (its events carry no other slug)."""
    try:
        check_province(slug, MERGER_DATE)
    except ProvinceMerged as merged:
        raise ValueError(
            f"{slug} is part of {merged.successor_slug} since {MERGER_DATE.isoformat()}: "
            f"create {merged.successor_slug} instead"
        ) from None
    except UnknownProvince as unknown:
        raise ValueError(str(unknown)) from None
    return Reader(
        user=f"province.{slug}",
        keys=rf"^({re.escape(slug)}|{NATIONAL})\.",
        history=rf"^{re.escape(stream_name(slug))}$",
    )


def ops_reader(name: str) -> Reader:
    """A reader of every province's events (ops, the Ministry)."""
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r}: lower-case letters, digits and '-' only")
    return Reader(user=f"ops.{name}", keys=".*", history=rf"^{re.escape(HISTORY_PREFIX)}.+$")


class Management:
    """The few calls of RabbitMQ's management HTTP API this needs (``/api/…``, JSON, basic auth)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if not parts.username:
            raise ValueError("the management URL needs the administrator's user and password")
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or MANAGEMENT_PORT}/api/"
        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        self.auth = "Basic " + base64.b64encode(token).decode()
        self.timeout = timeout

    def call(self, method: str, *path: str, body: dict[str, Any] | None = None) -> Any:
        """One request; None for a 404 (a user or queue that is not there)."""
        url = self.base + "/".join(quote(p, safe="") for p in path)
        request = urllib.request.Request(
            url,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": self.auth, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise ManagementError(f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')}") from None
        except OSError as exc:
            raise ManagementError(f"{method} {url}: {exc} (is the rabbitmq_management plugin enabled?)") from None
        return json.loads(answer) if answer else {}

    def user_exists(self, user: str) -> bool:
        return self.call("GET", "users", user) is not None

    def queue_names(self, vhost: str) -> list[str]:
        if self.call("GET", "vhosts", vhost) is None:
            raise ManagementError(f"no vhost {vhost!r}")
        return [q["name"] for q in self.call("GET", "queues", vhost) or []]


def create(api: Management, vhost: str, reader: Reader, exchange: str, password: str | None) -> str | None:
    """Create or update ``reader``'s user and permissions; return the password if one was generated."""
    generated = None
    if password is None and not api.user_exists(reader.user):
        password = generated = secrets.token_urlsafe(24)
    if password is not None:
        api.call("PUT", "users", reader.user, body={"password": password, "tags": ""})
    api.call("PUT", "permissions", vhost, reader.user, body=reader.permissions(exchange))
    api.call(
        "PUT", "topic-permissions", vhost, reader.user, body={"exchange": exchange, "write": "^$", "read": reader.keys}
    )
    return generated


def delete(api: Management, vhost: str, reader: Reader) -> list[str]:
    """Remove ``reader``'s user (so it cannot declare again), then its queues; return the queues deleted."""
    api.call("DELETE", "users", reader.user)
    owned = [name for name in api.queue_names(vhost) if re.fullmatch(reader.queues, name)]
    for name in owned:
        api.call("DELETE", "queues", vhost, name)
    return owned


def default_vhost(amqp_uri: str) -> str:
    """The vhost of an AMQP URI, as kombu reads it (none, or ``/``, is ``/``)."""
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def default_management_url(amqp_uri: str) -> str:
    """The broker's host on the management port, with the AMQP URI's (administrator's) credentials."""
    parts = urlsplit(amqp_uri)
    userinfo = parts.netloc.rpartition("@")[0]
    return f"http://{userinfo}{'@' if userinfo else ''}{parts.hostname}:{MANAGEMENT_PORT}/"


def read_password(path: Path) -> str:
    """The first line of ``path`` (a secret mounted as a file, or ``/dev/stdin``)."""
    password = next(iter(path.read_text(encoding="utf-8").splitlines()), "")
    if not password:
        raise ValueError(f"{path}: no password on its first line")
    return password


def main(argv: list[str] | None = None) -> int:
    cfg = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("create", "delete"))
    parser.add_argument("name", help="a province's slug since 2025-07-01 (e.g. quang-tri), or the ops user's name")
    parser.add_argument("--ops", action="store_true", help="a user that may bind every province's keys")
    parser.add_argument("--password-file", type=Path, help="create: the password, on the file's first line")
    parser.add_argument("--vhost", default=default_vhost(cfg.amqp_uri), help="default: KETNOI_AMQP_URI's")
    parser.add_argument(
        "--management-url",
        default=cfg.rabbitmq_management_url or default_management_url(cfg.amqp_uri),
        help="default: KETNOI_RABBITMQ_MANAGEMENT_URL, else port 15672 of KETNOI_AMQP_URI's host "
        "with its user and password",
    )
    args = parser.parse_args(argv)
    try:
        reader = ops_reader(args.name) if args.ops else province_reader(args.name)
        api = Management(args.management_url)
        if args.action == "delete":
            owned = delete(api, args.vhost, reader)
            print(f"deleted user {reader.user} and {len(owned)} queue(s){': ' if owned else ''}{', '.join(owned)}")
            return 0
        password = read_password(args.password_file) if args.password_file else None
        generated = create(api, args.vhost, reader, cfg.public_exchange, password)
    except (ValueError, ManagementError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    keys = "any key" if args.ops else f"{args.name}.# and {NATIONAL}.#"
    print(
        f"user {reader.user} on vhost {args.vhost}: queues {reader.user}.<name>; "
        f"binds {cfg.public_exchange} with {keys}"
    )
    if generated:
        print(f"password (shown once): {generated}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
