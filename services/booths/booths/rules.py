"""The edition's booth rules applied to stored documents (no I/O): how many booths an exhibitor may hold,
which quota group it counts in, which booths it may claim, which provinces a rules document may name.

They were methods of the service class although they read nothing but the
documents they are given; here claims, offers, overrides and the rules
import share one copy, and a test needs no service to call them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from booths.planning import FOREIGN, quota_province, quota_rules
from shared.errors import Forbidden, InvalidInput
from shared.validation import province_error


def booth_limit(plan: dict[str, Any], applicant: dict[str, Any]) -> int:
    """The booths an applicant may hold: what it asked for, within the edition's maximum per organisation."""
    wanted = (applicant.get("application") or {}).get("booths_wanted", 1)
    cap = plan["quotas"].get("organisation_max")
    return min(wanted, cap) if cap else wanted


def group_name(plan: dict[str, Any], applicant: dict[str, Any]) -> str | None:
    """The quota group the applicant's province counts in, if any takes it."""
    group = quota_rules(plan["quotas"]).group_for(quota_province(applicant))
    return group.name if group else None


def check_eligible(plan: dict[str, Any], applicant: dict[str, Any], booth: dict[str, Any]) -> None:
    """A 403 unless the applicant may hold this booth: reserved kinds, OCOP booths, a quota group for it."""
    rules = quota_rules(plan["quotas"])
    allowed = rules.reserved_kinds.get(booth["kind"])
    if allowed is not None and applicant["organisation_kind"] not in allowed:
        raise Forbidden(f"{booth['kind']} booths are reserved.", code="booth_reserved")
    if booth["kind"] in rules.ocop_kinds and not applicant.get("ocop_stars"):
        raise Forbidden("OCOP booths are for OCOP-rated products.", code="booth_reserved")
    if rules.group_for(quota_province(applicant)) is None:
        raise Forbidden("No quota group takes your province.", code="quota_full")


def check_rule_provinces(rules: dict[str, Any], on: date) -> None:
    """Every province a rule names is one on the edition's first day (or ``foreign``, for buyers from abroad)."""
    errors = []
    for i, group in enumerate(rules["groups"]):
        named = [(f"groups.{i}.provinces.{j}", p) for j, p in enumerate(group.get("provinces") or [])]
        named += [(f"groups.{i}.province_caps.{p}", p) for p in group.get("province_caps") or {}]
        errors += [e for field, slug in named if slug != FOREIGN for e in [province_error(field, slug, on)] if e]
    if errors:
        raise InvalidInput("Some provinces in the rules are not provinces on the edition's date.", errors=errors)
