"""Fault drills: the system under registration traffic while the broker restarts, the store pauses, processes
are killed and bad messages arrive.  ``python -m scripts.drills [DRILL …]`` (``make drills``).

Everything runs on this machine and nothing else is touched: a RabbitMQ node of
the drill's own (another port, see :mod:`scripts.private_broker`), a store of
its own, **two replicas of every service** (competing consumers on the same
queues) and two gateways, as production runs them.  Clients register
organisations through both gateways the way a browser would: each form with
its ``Idempotency-Key``, retried on a 503, a 409 "in progress" or a dropped
connection until it gets its answer.  A supervisor restarts whatever exits,
as Kubernetes would.

Each drill prints what was sent and stored, the events' effects (every
registration announced once to notifications and to meetings), effects
doubled and lost, the 5xx answers seen, the services that died without being
killed, and how long after the fault ended the system answered again and had
settled (queues and outboxes empty, nothing pending).
"""

from __future__ import annotations

import argparse
import email
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from kombu import Connection
from pymongo import MongoClient

from registration.domain.taxcode import tax_codes
from scripts.private_broker import PrivateBroker
from scripts.stack import Stack, StackConfig, Supervisor, free_port, service_names
from shared.reference.provinces import MERGER_DATE, provinces_on

EDITION_DAY = max(date.today() + timedelta(days=365), MERGER_DATE)
PROVINCES = sorted(provinces_on(EDITION_DAY))
GIVE_UP = 180.0  # seconds a client keeps retrying one form
TAIL = 4  # forms sent once the fault has ended, besides the burst


# -- the system ------------------------------------------------------------------------------------

# RabbitMQ publishes a quorum queue's message counts every 5 s (measured here: a message published showed in
# list_queues 5-6 s later, while a passive declare saw it at once); quiet must last longer than that.
QUEUE_STATS_LAG = 6.0


class DrillStack:
    """A private broker and store, two replicas of every service, two gateways, and a supervisor."""

    def __init__(self, directory: Path, replicas: int = 2) -> None:
        self.directory = directory
        self.replicas = replicas
        self.broker = PrivateBroker(directory / "broker")
        self.stack: Stack | None = None
        self.killed: set[str] = set()  # processes a drill killed on purpose (not deaths)
        self.deaths: Counter[str] = Counter()
        self._supervising = threading.Event()
        self._client: MongoClient | None = None  # the drills' own reads (one client: each has monitor threads)

    @property
    def gateways(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports]

    def start(self) -> None:
        self.broker.start()
        config = StackConfig.for_tests(self.directory / "stack", self.broker.amqp_uri)
        config.extra_env.update(KETNOI_RPC_TIMEOUT="3", KETNOI_QUIET_HOURS="off", KETNOI_STORE_TIMEOUT="3")
        self.stack = Stack(config)
        self.stack.start_store()
        self.stack.start_smtp_sink()
        self.stack.declare_topology()
        self.gateway_ports = [config.gateway_port, free_port()]
        for replica in range(self.replicas):
            for name in service_names():
                env = {"KETNOI_GATEWAY_PORT": str(self.gateway_ports[replica])} if name == "gateway" else None
                self.stack.start_service(name, replica, env)
        self.wait_ready()
        self._supervising.set()
        threading.Thread(target=self._supervise, daemon=True).start()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for url in self.gateways:
            while not _ready(url):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} not ready after {timeout:g} s")
                time.sleep(0.3)

    def _supervise(self) -> None:
        silent = logging.getLogger("drills.supervisor")
        silent.disabled = True  # the drills kill processes on purpose and report what became of them
        supervisor = Supervisor(self.stack, log=silent)
        supervisor.FIRST = 1.0
        while self._supervising.is_set():
            for name, process in list(self.stack.processes.items()):
                if process.poll() is not None and name not in supervisor.due:
                    if name in self.killed:
                        self.killed.discard(name)
                    else:
                        self.deaths[name] += 1
            supervisor.tick()
            time.sleep(0.2)

    def kill(self, name: str) -> None:
        """SIGKILL one process mid-flow (the supervisor starts it again)."""
        self.killed.add(name)
        self.stack.processes[name].send_signal(signal.SIGKILL)

    def pause_store(self) -> None:
        os.kill(self.stack.processes["store"].pid, signal.SIGSTOP)

    def resume_store(self) -> None:
        os.kill(self.stack.processes["store"].pid, signal.SIGCONT)

    def db(self, service: str):
        cfg = self.stack.config
        if self._client is None:
            self._client = MongoClient(cfg.mongo_uri, serverSelectionTimeoutMS=5000)
        return self._client[f"{cfg.db_prefix}_{service}"]

    def mails_to(self, addresses: set[str]) -> dict[str, Counter[str]]:
        """E-mails the SMTP sink received for recipients among ``addresses``: recipient → Message-ID → copies."""
        found: dict[str, Counter[str]] = {}
        for path in (self.stack.config.mail_dir / "new").glob("*"):
            message = email.message_from_bytes(path.read_bytes())
            to = (message["To"] or "").strip()
            if to in addresses:
                found.setdefault(to, Counter())[(message["Message-ID"] or path.name).strip()] += 1
        return found

    def in_flight(self, channel: Any) -> dict[str, int]:
        """Work not yet settled: events in handler queues (ready or taken) and in outboxes, registrations
        pending, e-mails not yet sent.

        ``rabbitmqctl list_queues`` reads a quorum queue's counts from statistics its leader publishes every
        few seconds: a message published a moment ago shows as 0 for up to :data:`QUEUE_STATS_LAG`.  So each
        queue is also asked directly (a passive declare answers from the leader: ready messages, now), and
        :meth:`settle` waits for quiet longer than that lag, which the taken (unacked) count needs.
        """
        listed = self.broker.ctl("list_queues", "-q", "name", "messages")
        rows = [row for row in (line.split() for line in listed.splitlines()) if len(row) == 2]
        handler_queues = [name for name, _ in rows if name.startswith("ketnoi.") and not name.endswith(".dead")]
        found = {
            f"queue {name}": int(count)
            for name, count in rows
            if name in handler_queues and count.isdigit() and int(count)
        }
        for name in handler_queues:
            ready = channel.queue_declare(name, passive=True).message_count
            if ready:
                found[f"queue {name}"] = max(found.get(f"queue {name}", 0), ready)
        for service in ("registration", "booths", "meetings", "notifications"):
            for collection in self.db(service).list_collection_names():
                if self.db(service)[collection].find_one({"outbox_n": {"$gt": 0}}, {"_id": 1}):
                    found[f"outbox {service}.{collection}"] = 1
        if self.db("registration").organisations.find_one({"state": "pending"}, {"_id": 1}):
            found["registrations pending"] = 1
        if self.db("notifications").messages.find_one({"status": {"$in": ["pending", "sending"]}}, {"_id": 1}):
            found["e-mails not yet sent"] = 1
        return found

    def settle(self, timeout: float = 300) -> float:
        """Seconds until nothing was in flight for longer than the queue statistics lag."""
        start = time.monotonic()
        quiet_since: float | None = None
        last_said = start
        connection: Connection | None = None  # one for the whole wait, opened again if the broker drops it
        try:
            while time.monotonic() - start < timeout:
                try:
                    if connection is None:
                        connection = Connection(self.broker.amqp_uri)
                    flight = self.in_flight(connection.default_channel)
                except Exception:  # the store or broker still coming back
                    flight = {"store or broker": 1}
                    if connection is not None:
                        connection.release()
                        connection = None
                now = time.monotonic()
                if flight:
                    quiet_since = None
                elif quiet_since is None:
                    quiet_since = now
                if flight and now - last_said > 10:
                    print(f"    still in flight after {now - start:.0f} s: {flight}", flush=True)
                    last_said = now
                if quiet_since is not None and now - quiet_since >= QUEUE_STATS_LAG:
                    return quiet_since - start
                time.sleep(0.5)
            return float("inf")
        finally:
            if connection is not None:
                connection.release()

    def stop(self) -> None:
        self._supervising.clear()
        if self._client is not None:
            self._client.close()
        if self.stack is not None:
            with_store = self.stack.processes.get("store")
            if with_store is not None and with_store.poll() is None:
                os.kill(with_store.pid, signal.SIGCONT)  # a paused store cannot stop
            self.stack.stop()
        self.broker.stop()


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


# -- the clients -----------------------------------------------------------------------------------


class Forms:
    """Registration forms with unique valid tax codes, a delegate and two products each."""

    def __init__(self) -> None:
        self._codes = tax_codes(300_000_000 + int.from_bytes(os.urandom(3), "big") * 10)
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        with self._lock:
            n, tax = next(self._codes)
        return {
            "organisation": {
                "kind": "cooperative",
                "legal_name": {"vi": f"HTX Nông sản {tax}"},
                "tax_code": tax,
                "province": PROVINCES[n % len(PROVINCES)],
                "sectors": ["nong-san"],
                "delegates": [
                    {
                        "name": "Trần Văn Bình",
                        "email": f"binh.{tax}@example.vn",
                        "phone": f"0913 {n // 1000 % 1000:03d} {n % 1000:03d}",
                    }
                ],
            },
            "role": "exhibitor",
            "products": [
                {
                    "name": {"vi": f"Gạo ST25 lô {i}"},
                    "category": "rice",
                    "ocop": {"stars": 3 + i, "certificate_no": f"ST-{tax}-{i}", "year": 2025},
                }
                for i in (0, 1)
            ],
            "wants": {"booths": 1, "b2b": False},
        }


@dataclass
class Outcome:
    tax_code: str
    status: int = 0  # the final answer (0: gave up)
    participation_id: str | None = None
    answers: Counter[int] = field(default_factory=Counter)  # every answer, 0 for a dropped connection
    started_at: float = field(default_factory=time.monotonic)
    done_at: float = 0.0


def submit(gateways: list[str], edition_id: str, form: dict[str, Any], turn: int) -> Outcome:
    """One form, retried as a browser with an Idempotency-Key would, through alternating gateways."""
    outcome = Outcome(form["organisation"]["tax_code"])
    key = f"drill-{outcome.tax_code}"
    deadline = time.monotonic() + GIVE_UP
    with requests.Session() as http:
        while time.monotonic() < deadline:
            url = gateways[turn % len(gateways)]
            turn += 1
            try:
                response = http.post(
                    f"{url}/v1/editions/{edition_id}/registrations",
                    json=form,
                    timeout=10,
                    headers={"Idempotency-Key": key},
                )
            except requests.RequestException:
                outcome.answers[0] += 1
                time.sleep(0.5)
                continue
            outcome.answers[response.status_code] += 1
            if response.status_code == 409:
                outcome.answers[response.json().get("code", "409")] += 1
            retry = response.status_code >= 500 or (
                response.status_code == 409
                and response.json().get("code") in ("idempotency_in_progress", "registration_in_progress")
            )
            if not retry:
                outcome.status = response.status_code
                if response.status_code == 201:
                    outcome.participation_id = response.json()["participation"]["id"]
                outcome.done_at = time.monotonic()
                return outcome
            time.sleep(min(float(response.headers.get("Retry-After", 1)), 1.0))
    return outcome


def open_edition(gateway: str) -> str:
    http = requests.Session()

    def call(method: str, path: str, body: Any, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = http.request(method, gateway + path, json=body, headers=headers, timeout=30)
        response.raise_for_status()
        return response.json()

    ops = call("POST", "/v1/dev/tokens", {"role": "ops"})["token"]
    key = f"drill-{uuid.uuid4().hex[:8]}"
    call("POST", "/v1/series", {"key": key, "name": {"vi": "Diễn tập sự cố"}}, ops)
    organiser = call("POST", "/v1/dev/tokens", {"role": "organiser", "series": key})["token"]
    now = datetime.now(UTC).replace(microsecond=0)
    edition = call(
        "POST",
        "/v1/editions",
        {
            "series_id": key,
            "title": {"vi": "Diễn tập"},
            "host_province": "thanh-hoa",
            "partner_provinces": ["nghe-an"],
            "venue": {"name": "Nhà thi đấu", "address": "Thanh Hóa"},
            "starts_on": EDITION_DAY.isoformat(),
            "ends_on": (EDITION_DAY + timedelta(days=1)).isoformat(),
            "registration_opens_at": (now - timedelta(days=1)).isoformat(),
            "registration_closes_at": (now + timedelta(days=30)).isoformat(),
        },
        organiser,
    )
    call("POST", f"/v1/editions/{edition['id']}/status", {"status": "open"}, organiser)
    return edition["id"]


# -- a drill ---------------------------------------------------------------------------------------


@dataclass
class Report:
    drill: str
    sent: int
    acknowledged: int
    stored: int
    lost: int  # acknowledged (201) but not stored, or stored without all its products
    doubled: int  # more participations, products, notification messages or e-mails than the forms asked for
    effects_lost: int  # a stored registration notifications or meetings never heard of, or no e-mail sent
    errors_500: int
    unavailable_503: int
    dropped: int  # connections that failed (retried)
    deaths: int
    answering_after: float  # seconds from the fault's end to the next acknowledged form
    last_answer_after: float  # seconds from the fault's end to the burst's last answer
    settled_after: float  # seconds from the last answer to nothing in flight
    slowest: float  # seconds the longest form took from its first sending to its final answer, retries included
    resent: int = 0  # e-mails delivered twice with one Message-ID (at-least-once SMTP; receivers merge them)
    notes: list[str] = field(default_factory=list)

    def ok(self, recovery: float) -> bool:
        """Nothing lost or doubled, no 500, no death, and everything settled within ``recovery`` seconds."""
        return (
            self.lost == self.doubled == self.effects_lost == self.errors_500 == self.deaths == 0
            and self.acknowledged == self.sent
            and self.answering_after <= recovery
            and self.settled_after <= recovery
            and self.slowest <= recovery
        )

    def line(self) -> str:
        return (
            f"{self.drill:<15} sent {self.sent:>5}  stored {self.stored:>5}  lost {self.lost}  "
            f"doubled {self.doubled}  effects lost {self.effects_lost}  500s {self.errors_500}  "
            f"503s {self.unavailable_503:>4}  dropped {self.dropped:>4}  deaths {self.deaths}  "
            f"resent {self.resent}  answering again {self.answering_after:4.1f} s after the fault; settled "
            f"{self.settled_after:4.1f} s after the last answer; slowest form {self.slowest:4.1f} s"
        )


def run(
    system: DrillStack, name: str, fault: Callable[[], float], count: int, clients: int, rate: float, fault_at: float
) -> Report:
    """``count`` forms at ``rate`` a second through ``clients`` clients, then :data:`TAIL` more once the fault
    has ended; ``fault()`` starts ``fault_at`` seconds in and returns the moment its fault ended
    (``time.monotonic()``)."""
    edition_id = open_edition(system.gateways[0])
    forms = Forms()
    batch = [forms() for _ in range(count)]
    deaths_before = sum(system.deaths.values())
    ended: list[float] = []
    start = time.monotonic()

    def trigger() -> None:
        time.sleep(fault_at)
        ended.append(fault())

    injector = threading.Thread(target=trigger, daemon=True)
    injector.start()

    def one(i: int) -> Outcome:
        time.sleep(max(0.0, start + i / rate - time.monotonic()))  # the forms arrive spread over the drill
        return submit(system.gateways, edition_id, batch[i], i)

    with ThreadPoolExecutor(clients) as pool:
        outcomes = list(pool.map(one, range(count)))
        injector.join(timeout=GIVE_UP)
        fault_end = ended[0] if ended else time.monotonic()
        # a few more after the fault has ended, so "answering again" is always measured: on a loaded machine
        # the broker's CLI can take longer to stop and start it than the whole burst takes
        tail = [forms() for _ in range(TAIL)]
        batch += tail
        outcomes += pool.map(lambda j: submit(system.gateways, edition_id, tail[j], count + j), range(TAIL))
    settled_after = system.settle()
    return check(
        system, name, edition_id, batch, outcomes, fault_end, settled_after, sum(system.deaths.values()) - deaths_before
    )


def check(
    system: DrillStack,
    name: str,
    edition_id: str,
    batch: list[dict],
    outcomes: list[Outcome],
    fault_end: float,
    settled_after: float,
    deaths: int,
) -> Report:
    registration, notifications, meetings = system.db("registration"), system.db("notifications"), system.db("meetings")
    parts = list(
        registration.participations.find({"edition_id": edition_id}, {"organisation_id": 1, "org": 1, "status": 1})
    )
    by_org = Counter(p["organisation_id"] for p in parts)
    orgs = {
        o["org_key"]: o
        for o in registration.organisations.find(
            {"org_key": {"$in": [f"vn:{f['organisation']['tax_code']}" for f in batch]}}
        )
    }
    acknowledged = {o.tax_code: o for o in outcomes if o.status == 201}
    # whole collections read once, counted here: one count per registration is a scan each on the store
    org_ids = sorted({o["_id"] for o in orgs.values()} | set(by_org))
    products_of = Counter(
        p["organisation_id"]
        for p in registration.products.find({"organisation_id": {"$in": org_ids}}, {"organisation_id": 1})
    )
    e_mails_of = Counter(
        m["organisation_id"]
        for m in notifications.messages.find(
            {"edition_id": edition_id, "template": "participation.submitted"}, {"organisation_id": 1}
        )
    )
    known_to_meetings = {o["_id"] for o in meetings.organisations.find({"_id": {"$in": org_ids}}, {"_id": 1})}
    tax_of = {
        o["_id"]: o["tax_code"] for o in registration.organisations.find({"_id": {"$in": org_ids}}, {"tax_code": 1})
    }
    lost = doubled = effects_lost = 0
    notes = []
    for form in batch:
        tax = form["organisation"]["tax_code"]
        org = orgs.get(f"vn:{tax}")
        if org is None:
            lost += tax in acknowledged
            continue
        products = products_of[org["_id"]]
        if tax in acknowledged and (
            by_org[org["_id"]] != 1 or products < len(form["products"]) or org.get("state") == "pending"
        ):
            lost += 1
            notes.append(f"{tax}: {by_org[org['_id']]} participations, {products} products, {org.get('state')}")
        doubled += max(0, by_org[org["_id"]] - 1) + max(0, products - len(form["products"]))
    for part in parts:
        messages = e_mails_of[part["organisation_id"]]
        known = part["organisation_id"] in known_to_meetings
        if messages == 0 or not known:
            effects_lost += 1
            notes.append(f"{part['_id']}: {messages} e-mails, meetings {'knows' if known else 'never heard of'} it")
        doubled += max(0, messages - 1)
    mails = system.mails_to({f"binh.{f['organisation']['tax_code']}@example.vn" for f in batch})
    resent = 0
    for part in parts:
        tax = tax_of.get(part["organisation_id"])
        copies = mails.get(f"binh.{tax}@example.vn", Counter())
        if not copies:
            effects_lost += 1
            notes.append(f"{part['_id']}: no e-mail reached binh.{tax}@example.vn")
        doubled += max(0, len(copies) - 1)  # two different e-mails for one registration
        resent += sum(copies.values()) - len(copies)  # the same e-mail (Message-ID) delivered again
    if resent:
        notes.append(
            f"{resent} e-mail(s) delivered again with the same Message-ID (a sender killed between "
            "the SMTP server's 250 and recording it)"
        )
    answers = sum((o.answers for o in outcomes), Counter())
    notes.append(f"answers: {dict(sorted(answers.items(), key=str))}")
    after = [o.done_at - fault_end for o in outcomes if o.status == 201 and o.done_at >= fault_end]
    last = max((o.done_at for o in outcomes), default=fault_end) - fault_end
    return Report(
        name,
        len(batch),
        len(acknowledged),
        len(parts),
        lost,
        doubled,
        effects_lost,
        sum(n for code, n in answers.items() if isinstance(code, int) and code >= 500 and code != 503),
        answers[503],
        answers[0],
        deaths,
        min(after) if after else float("inf"),
        last,
        settled_after,
        max((o.done_at or time.monotonic()) - o.started_at for o in outcomes),
        resent,
        notes[:10],
    )


# -- the faults ------------------------------------------------------------------------------------


def broker_restart(system: DrillStack, seconds: float) -> Callable[[], float]:
    def fault() -> float:
        system.broker.pause()
        time.sleep(seconds)
        system.broker.resume()
        return time.monotonic()

    return fault


def store_pause(system: DrillStack, seconds: float) -> Callable[[], float]:
    def fault() -> float:
        system.pause_store()
        time.sleep(seconds)
        system.resume_store()
        return time.monotonic()

    return fault


def sigkill_each(system: DrillStack, gap: float) -> Callable[[], float]:
    """One replica of every service and gateway killed, one after another."""

    def fault() -> float:
        for name in service_names():
            system.kill(name)
            time.sleep(gap)
        return time.monotonic()

    return fault


class Poison:
    """Undecodable, foreign and schema-violating messages, and valid events twice and out of order."""

    BAD = 3  # bad messages, each parked once by every handler bound to their routing key

    def __init__(self, system: DrillStack) -> None:
        self.system = system
        self.newest: dict[str, int] = {}  # organisation → the version it must end at

    def __call__(self) -> float:
        exchange, edition_created = "ketnoi.events", "vn.ketnoi.registration.edition.created.v1"
        updated = "vn.ketnoi.registration.organisation.updated.v1"
        # confirmed: each publish returns once the broker has taken it into every queue, so what the verdict
        # finds missing was lost after the broker had it, not on a connection closed right after publishing
        with Connection(self.system.broker.amqp_uri, transport_options={"confirm_publish": True}) as connection:
            producer = connection.Producer()
            for body, content_type in (
                (b'{"specversion": "1.0", "id": ', "application/cloudevents+json"),
                ("Xin chào".encode(), "text/plain"),
                (
                    json.dumps(
                        {"specversion": "1.0", "id": "bad-1", "type": edition_created, "data": {"edition_id": 42}}
                    ).encode(),
                    "application/cloudevents+json",
                ),
            ):
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key=edition_created,
                    content_type=content_type,
                    content_encoding="utf-8",
                    delivery_mode=2,
                )
            meetings = self.system.db("meetings").organisations
            for doc in meetings.find({}, {"_id": 1, "version": 1}).limit(5):
                self.newest[doc["_id"]] = doc["version"] + 2
                for version in (doc["version"] + 2, doc["version"] + 1):  # newer first: the late one must lose
                    event = {
                        "specversion": "1.0",
                        "id": f"{doc['_id']}-v{version}",
                        "source": "/ketnoi/registration",
                        "type": updated,
                        "subject": f"organisations/{doc['_id']}",
                        "time": datetime.now(UTC).isoformat(),
                        "datacontenttype": "application/json",
                        "correlationid": "drill",
                        "data": {
                            "organisation_id": doc["_id"],
                            "kind": "cooperative",
                            "name": {"vi": f"HTX phiên bản {version}"},
                            "province": "thanh-hoa",
                            "country": "VN",
                            "sectors": ["nong-san"],
                            "version": version,
                        },
                    }
                    for _ in range(2):  # and each twice
                        producer.publish(
                            json.dumps(event).encode(),
                            exchange=exchange,
                            routing_key=updated,
                            content_type="application/cloudevents+json",
                            content_encoding="utf-8",
                            delivery_mode=2,
                            message_id=event["id"],
                        )
        time.sleep(1.0)
        return time.monotonic()

    def verdict(self) -> list[str]:
        """What went wrong: a bad message not parked exactly once per bound handler, or an organisation whose
        copy in meetings is not the newest version."""
        problems = []
        parked = parked_messages(self.system)
        # the bad messages carry an edition event's type: every handler of it parks them, the services'
        # on_edition and the integrations service's log of every public event
        bound = [q for q in parked if q.endswith(("on_edition.dead", "log_event.dead"))]
        if not bound or any(parked[q] != self.BAD for q in bound) or set(parked) != set(bound):
            problems.append(f"parked {parked} (expected {self.BAD} in each dead-letter queue of an edition handler)")
        if not self.newest:
            problems.append("no organisation on file yet to send out of order")
        meetings = self.system.db("meetings").organisations
        feed = self.system.db("integrations").feed
        for org_id, version in self.newest.items():
            doc = meetings.find_one({"_id": org_id}, {"name": 1, "version": 1})
            if doc is None or (doc.get("version"), doc.get("name")) != (version, {"vi": f"HTX phiên bản {version}"}):
                # where the updates went: the integrations service logs every public event it is given, so its
                # feed says whether the broker delivered them at all
                sent = [f"{org_id}-v{v}" for v in (version, version - 1)]
                logged = sorted(e["event_id"] for e in feed.find({"event_id": {"$in": sent}}, {"event_id": 1}))
                problems.append(f"{org_id}: meetings keeps {doc}, not version {version}; integrations logged {logged}")
        return problems


def parked_messages(system: DrillStack) -> dict[str, int]:
    """What the dead-letter queues hold, by queue (counted by the queues themselves: see ``in_flight``)."""
    listed = system.broker.ctl("list_queues", "-q", "name")
    dead = [name for name in listed.split() if name.endswith(".dead")]
    with Connection(system.broker.amqp_uri) as connection:
        channel = connection.channel()
        counts = {name: channel.queue_declare(name, passive=True).message_count for name in dead}
    return {name: n for name, n in counts.items() if n}


DRILLS = ("broker-restart", "store-pause", "sigkill", "poison")


def fault_for(system: DrillStack, drill: str, outage: float) -> Callable[[], float]:
    faults = {
        "broker-restart": lambda: broker_restart(system, outage),
        "store-pause": lambda: store_pause(system, outage),
        "sigkill": lambda: sigkill_each(system, 0.5),
        "poison": lambda: Poison(system),
    }
    return faults[drill]()


def drill(
    system: DrillStack, name: str, count: int, clients: int, rate: float, fault_at: float, outage: float
) -> Report:
    """One drill, its checks included (the poison drill's own: what was parked, what survived disorder)."""
    fault = fault_for(system, name, outage)
    report = run(system, name, fault, count, clients, rate, fault_at)
    if isinstance(fault, Poison):
        problems = fault.verdict()
        report.effects_lost += len(problems)
        report.notes[:0] = problems
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", help=f"any of {', '.join(DRILLS)} (default: all)")
    parser.add_argument("--registrations", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rate", type=float, default=25.0, help="forms a second (the burst spans the fault)")
    parser.add_argument("--fault-at", type=float, default=10.0, help="seconds into the burst the fault starts")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds the broker or store is away")
    parser.add_argument("--keep", action="store_true", help="keep the data and logs")
    args = parser.parse_args()
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(sorted(unknown))}")
    directory = Path(tempfile.mkdtemp(prefix="ketnoi-drills-"))
    system = DrillStack(directory)
    reports = []
    try:
        print(f"starting a private broker, a store and 2 replicas of every service (logs in {directory}) …", flush=True)
        system.start()
        for name in args.drills or DRILLS:
            print(f"{name}: {args.registrations} registrations, {args.clients} clients …", flush=True)
            reports.append(drill(system, name, args.registrations, args.clients, args.rate, args.fault_at, args.outage))
            print(reports[-1].line(), flush=True)
            for note in reports[-1].notes:
                print(f"    {note}")
    finally:
        system.stop()
        if not args.keep and all(r.ok(60) for r in reports):
            shutil.rmtree(directory, ignore_errors=True)
        else:
            print(f"data and logs kept in {directory}")
    print("\n" + "\n".join(r.line() for r in reports))


if __name__ == "__main__":
    main()
