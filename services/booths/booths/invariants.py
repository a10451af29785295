"""The rules the booths service promises, as checks over an edition's whole state.

Plain functions over stored documents (no nameko, no store): the stateful
tests call :func:`broken` after every step they take, and ops can run it
against a live database.  Each returned string names one broken rule.

Booths an organiser gave by override are outside the limits (an organiser
may go beyond them, on the record); everything else counts: booths held and
booths reserved by an open offer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from booths.domain.model import QuotaRules
from booths.planning import quota_province


def broken(
    plan: dict[str, Any],
    rules: QuotaRules | None,
    booths: list[dict[str, Any]],
    applicants: list[dict[str, Any]],
    offers: list[dict[str, Any]],
) -> list[str]:
    """Every rule the edition's state breaks; empty when all hold."""
    problems: list[str] = []
    open_offers = {o["_id"]: o for o in offers if o["status"] == "open"}
    by_applicant: Counter[str] = Counter()
    by_group: Counter[str] = Counter()
    by_province: Counter[tuple[str, str]] = Counter()
    for booth in booths:
        holder, reserved = booth.get("holder"), booth.get("offer")
        if holder and reserved:
            problems.append(f"booth {booth['code']} is held and on offer at once")
        if reserved and reserved["offer_id"] not in open_offers:
            problems.append(f"booth {booth['code']} is reserved by offer {reserved['offer_id']}, which is not open")
        for who in (holder, reserved):
            if who and not (who is holder and booth.get("source") == "override"):
                by_applicant[who["participation_id"]] += 1
                group = who.get("quota_group")
                by_group[group] += 1
                by_province[(group, quota_province(who))] += 1
    for offer in open_offers.values():
        reserved_booth = next((b for b in booths if b["code"] == offer["booth_code"]), None)
        if reserved_booth is None or (reserved_booth.get("offer") or {}).get("offer_id") != offer["_id"]:
            problems.append(f"open offer {offer['_id']} does not hold its booth {offer['booth_code']}")
    limit = (plan.get("quotas") or {}).get("organisation_max")
    for applicant in applicants:
        wanted = (applicant.get("application") or {}).get("booths_wanted", 1)
        maximum = min(wanted, limit) if limit else wanted
        if by_applicant[applicant["_id"]] > maximum:
            problems.append(f"{applicant['_id']} has {by_applicant[applicant['_id']]} booths, more than its {maximum}")
        if applicant["status"] != "eligible" and by_applicant[applicant["_id"]]:
            problems.append(f"{applicant['_id']} is {applicant['status']} but holds or is offered a booth")
    if rules is not None:
        for group in rules.groups:
            if by_group[group.name] > group.booths:
                problems.append(f"group {group.name} has {by_group[group.name]} booths of {group.booths}")
        for (name, province), n in by_province.items():
            group = next((g for g in rules.groups if g.name == name), None)
            cap = group.cap_for(province) if group else None
            if cap is not None and n > cap:
                problems.append(f"{province} has {n} booths in group {name}, more than its cap {cap}")
    return problems


def counters_drift(stored: dict[str, int], actual: dict[str, int]) -> list[str]:
    """Counters that differ from what they count (none may, once no operation is in flight)."""
    return [
        f"counter {key} says {stored[key]}, the booths say {actual[key]}"
        for key in sorted(stored)
        if stored[key] != actual.get(key, 0)
    ]
