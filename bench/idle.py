"""Idle cost: the CPU the whole system spends when nobody uses it, with a conference's worth of data on file.

Starts its own system (store, SMTP sink, every service, the gateway) on a
private vhost, loads both demo editions through the API, registers
``--registrations`` organisations through the public form, tops the delivered
e-mails up to ``--notifications`` (copies of real ``sent`` messages, written to
the notifications database: the bench's only shortcut), waits until every
event has settled and the relays' sweeps have backed off, then reads every
process's CPU from ``/proc`` over ``--seconds``.

Target: the whole stack below 3 % of one core.  The shared RabbitMQ is
printed apart: it serves every project on the machine and was running before.
"""

from __future__ import annotations

import argparse
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.registration_rush import Forms, _cpu_seconds, open_edition, rabbitmq_pid, settle_seconds
from bench.workspace import workspace
from demo.load import Api, load_demo
from scripts.stack import Stack, StackConfig
from shared.store import client_for

TARGET_PERCENT = 3.0
BACKED_OFF = 65.0  # the relays' sweeps reach their longest interval (30 s) after a minute without work


def store_fallbacks(log: Path) -> int:
    """Aggregations the store ran in Python rather than SQL so far: one line each in its DEBUG log."""
    return log.read_text(errors="replace").count("aggregation fallback") if log.exists() else 0


def register(base: str, edition_id: str, count: int, clients: int = 8) -> int:
    forms, url = Forms(), f"{base}/v1/editions/{edition_id}/registrations"

    def one(_: int) -> int:
        with requests.Session() as http:
            return http.post(url, json=forms(), timeout=30).status_code

    with ThreadPoolExecutor(clients) as pool:
        return sum(1 for status in pool.map(one, range(count)) if status == 201)


def top_up_messages(stack: Stack, wanted: int) -> int:
    """Copies of delivered messages until ``wanted`` are on file (the bench writes them; services only read)."""
    cfg = stack.config
    messages = client_for(cfg.mongo_uri)[f"{cfg.db_prefix}_notifications"].messages
    have = messages.count_documents({"status": "sent"})
    model = messages.find_one({"status": "sent"}, {"_id": 0})
    if model is None or have >= wanted:
        return have
    batch = [{**model, "_id": f"bench-{uuid.uuid4().hex}"} for _ in range(wanted - have)]
    for start in range(0, len(batch), 1000):
        messages.insert_many(batch[start : start + 1000])
    return messages.count_documents({"status": "sent"})


def measure(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """Percent of one core each process used over ``seconds``."""
    before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(seconds)
    return {name: 100 * (_cpu_seconds(pid) - before[name]) / seconds for name, pid in pids.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs (kept anyway on errors)")
    args = parser.parse_args()

    with workspace("ketnoi-idle-", keep=args.keep) as work:
        stack = Stack(StackConfig.for_tests(work.dir / "stack", work.amqp))
        stack.config.extra_env["KETNOI_STORE_LOG_LEVEL"] = "DEBUG"  # every fallback: at INFO it says each once
        try:
            print(f"starting the stack (logs in {work.dir}) …", flush=True)
            stack.start(timeout=90)
            base = stack.config.gateway_url
            started = time.monotonic()
            print(load_demo(base), flush=True)
            edition_id, _ = open_edition(Api(base))
            ok = register(base, edition_id, args.registrations)
            print(f"demo and {ok} registrations loaded in {time.monotonic() - started:.0f} s", flush=True)
            settled = settle_seconds(stack, work.vhost, timeout=600)
            delivered = top_up_messages(stack, args.notifications)
            print(
                f"events settled {settled:.0f} s after the last registration; {delivered} delivered messages on "
                f"file; waiting {BACKED_OFF:g} s for the system to go quiet …",
                flush=True,
            )
            time.sleep(BACKED_OFF)
            log = stack.config.logs / "store.log"
            fallbacks_before = store_fallbacks(log)
            ours = {name: process.pid for name, process in stack.processes.items()}
            broker = rabbitmq_pid()
            usage = measure({**ours, **({"rabbitmq (shared)": broker} if broker else {})}, args.seconds)
            fallbacks = store_fallbacks(log) - fallbacks_before
        finally:
            stack.stop()

    print(f"\nidle for {args.seconds:g} s with {ok} registrations and {delivered} delivered messages on file:")
    print(f"{'process':<22}{'% of one core':>15}")
    for name, percent in sorted(usage.items(), key=lambda item: -item[1]):
        print(f"{name:<22}{percent:>15.2f}")
    total = sum(v for k, v in usage.items() if k in ours)
    verdict = "met" if total < TARGET_PERCENT else "MISSED"
    print(f"{'the stack (ours)':<22}{total:>15.2f}   target < {TARGET_PERCENT:g} %: {verdict}")
    print(f"store fallbacks to Python while idle: {fallbacks}")


if __name__ == "__main__":
    main()
