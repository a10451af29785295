"""Booth claim rush: many exhibitors claim booths at the same moment, through the gateway.

Two rounds on a running system (its own store, vhost and ports):

1. the last booth: 100 clients claim one booth at once; exactly one may win;
2. the opening of the claim window: every remaining exhibitor claims a random
   booth, retrying with the suggestions it is given, until it has one or none
   is left.

Prints claims per second, latency percentiles, and the winner count per booth
(which must never exceed one).  A measurement: exit code 0 either way.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bench.registration_rush import Forms, open_edition
from bench.workspace import workspace
from demo.load import Api
from scripts.stack import Stack, StackConfig

HEADER = "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h"


def floor_plan(booths: int) -> str:
    rows = [HEADER, "hall,H1,Nhà thi đấu,,,,,,,,,,", "zone,A,Khu A,H1,,,,,,,,,"]
    rows += [f"booth,A{i:03d},,,A,standard,standard,power,,{(i % 20) * 3},{(i // 20) * 3},3,3" for i in range(booths)]
    return "\n".join(rows) + "\n"


def exhibitors(api: Api, edition_id: str, organiser: str, count: int) -> list[tuple[str, str]]:
    """Registered, approved exhibitors and their member tokens (set-up, not measured)."""
    forms = Forms()
    url = f"{api.base}/v1/editions/{edition_id}/registrations"

    def one(_: int) -> tuple[str, str]:
        http = requests.Session()
        created = http.post(url, json=forms(), timeout=30).json()
        pid = created["participation"]["id"]
        api.call("POST", f"/v1/participations/{pid}/decision", {"action": "approve"}, organiser)
        return pid, api.token(role="member", organisation=created["organisation_id"])

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(one, range(count)))


def claim(base: str, edition_id: str, code: str, who: tuple[str, str]) -> tuple[float, int, dict[str, Any]]:
    started = time.perf_counter()
    response = requests.post(
        f"{base}/v1/editions/{edition_id}/booths/{code}/claim",
        json={"participation_id": who[0]},
        headers={"Authorization": f"Bearer {who[1]}"},
        timeout=30,
    )
    return time.perf_counter() - started, response.status_code, response.json()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--booths", type=int, default=82)
    parser.add_argument("--exhibitors", type=int, default=150)
    args = parser.parse_args()
    with workspace("ketnoi-claims-") as work:
        stack = Stack(StackConfig.for_tests(work.dir / "stack", work.amqp))
        try:
            stack.start(timeout=90)
            api = Api(stack.config.gateway_url)
            edition_id, organiser = open_edition(api)
            base = f"/v1/editions/{edition_id}"
            # the booths service learns the edition and the approvals from events
            api.call("PUT", f"{base}/floor-plan", {"csv": floor_plan(args.booths)}, organiser, wait_for_events=20)
            api.call(
                "PUT",
                f"{base}/booth-rules",
                {"groups": [{"name": "all", "booths": 100_000, "provinces": None}], "organisation_max": 1},
                organiser,
            )
            people = exhibitors(api, edition_id, organiser, args.exhibitors)
            for pid, token in people:
                api.call("GET", f"{base}/booth-offers?participation_id={pid}", token=token, wait_for_events=20)
            run = api.call("POST", f"{base}/allocations", {}, organiser)  # nobody applied: every booth stays free
            api.call("POST", f"{base}/allocations/{run['id']}/commit", None, organiser)
            print(
                f"booth claims  {time.strftime('%Y-%m-%dT%H:%M:%S%z')}  nproc={os.cpu_count()}  "
                f"{args.booths} booths, {args.exhibitors} exhibitors"
            )

            last = people[:100]
            with ThreadPoolExecutor(100) as pool:
                results = list(pool.map(lambda who: claim(api.base, edition_id, "A000", who), last))
            winners = sum(1 for _, status, _ in results if status == 200)
            others = sorted({status for _, status, _ in results if status != 200})
            print(
                f"last booth: 100 concurrent claims -> {winners} winner(s), the rest answered {others}  "
                f"({'MET' if winners == 1 else 'MISSED'}: exactly one winner)"
            )

            rest = people[100:] if len(people) > 100 else []
            rest += [who for who, (_, status, _) in zip(last, results, strict=True) if status != 200]
            rng = random.Random(7)
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            def until_placed(who: tuple[str, str]) -> None:
                code = f"A{rng.randrange(args.booths):03d}"
                for _ in range(20):
                    took, status, body = claim(api.base, edition_id, code, who)
                    latencies.append(took)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status != 409 or not body.get("suggestions"):
                        return
                    code = body["suggestions"][0]

            started = time.perf_counter()
            with ThreadPoolExecutor(32) as pool:
                list(pool.map(until_placed, rest))
            elapsed = time.perf_counter() - started
            plan = api.call("GET", f"{base}/floor-plan")
            holders = [b["holder"]["participation_id"] for b in plan["booths"] if b.get("holder")]
            print(
                f"claim window: {len(latencies)} claims in {elapsed:.1f} s = "
                f"{len(latencies) / elapsed:.1f} claims/s; "
                f"p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
                f"p99 {percentile(latencies, 99):.0f} ms; answers {dict(sorted(statuses.items()))}"
            )
            print(
                f"booths taken {len(holders)}/{args.booths}; successful claims {statuses.get(200, 0) + winners}; "
                f"one holder per booth and one booth per exhibitor: "
                f"{'MET' if len(holders) == len(set(holders)) == statuses.get(200, 0) + winners else 'MISSED'}"
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
