"""Reference data for frontends (mixed into the gateway service): what a form may offer.

The registration service answers, because its validators are built from the
same tables; the gateway keeps each answer for a few minutes (it changes only
when registration is deployed) and lets browsers and proxies keep it too
(``cache_seconds``: ETag, ``Cache-Control: public``, 304).  Anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway import schemas as s
from gateway.edge import query_of
from gateway.http import api
from gateway.request import Request
from shared.recent import Recent
from shared.rpc import ServiceRpc

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CACHE_SECONDS = 3600  # browsers and proxies
KEPT_SECONDS = 300  # this process: a deployed change of registration is seen within five minutes
_ANSWERS = Recent(KEPT_SECONDS, limit=512)  # keyed by a day the caller picks: bounded


def _kept(key: tuple[str, ...], ask: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return _ANSWERS.get(key, lambda _: ask())


def until_midnight(now: datetime) -> int:
    """Seconds until ``now``'s next midnight in Vietnam, when "today" (and perhaps its list) changes."""
    local = now.astimezone(VIETNAM)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), VIETNAM)
    return max(1, int((midnight - local).total_seconds()))


class ReferenceRoutes:
    registration = ServiceRpc("registration")

    @api(
        "GET",
        "/v1/reference/provinces",
        summary="Provinces valid on a day (?on=YYYY-MM-DD, default today in Vietnam): names in vi/en, the days "
        "each is valid, the 2025 unit an old one went into and the old ones a 2025 unit was formed from",
        auth="none",
        query=s.ProvincesQuery,
        response=s.ProvinceList,
        description="Anyone: the province choices a form offers on a day (the 2025 merger changed them), with their "
        "names and history. Cacheable (ETag, 304); without ?on= it is kept until midnight in Vietnam.",
        tags=("reference",),
        cache_seconds=CACHE_SECONDS,
    )
    def reference_provinces(self, request: Request):
        given = query_of(request, s.ProvincesQuery).get("on")
        now = datetime.now(VIETNAM)
        on = given or now.date().isoformat()
        answer = _kept(("provinces", on), lambda: self.registration.reference_provinces(on))
        if given:
            return answer
        return 200, {"Cache-Control": f"public, max-age={min(CACHE_SECONDS, until_midnight(now))}"}, answer

    @api(
        "GET",
        "/v1/reference/organisation-kinds",
        summary="Organisation kinds, their names in vi/en and the identity fields each must give "
        "(tax code and province, or a foreign registration)",
        auth="none",
        response=s.OrganisationKindList,
        description="Anyone: the kinds an organisation registers as, and for each which identity fields the "
        "registration form must ask for. Cacheable (ETag, 304).",
        tags=("reference",),
        cache_seconds=CACHE_SECONDS,
    )
    def reference_organisation_kinds(self, request: Request):
        return _kept(("organisation-kinds",), lambda: self.registration.reference_organisation_kinds())

    @api(
        "GET",
        "/v1/reference/roles",
        summary="Roles an organisation registers in, with their names in vi/en",
        auth="none",
        response=s.RoleList,
        description="Anyone: the roles (exhibitor, buyer, visitor, partner agency) a registration may choose, named "
        "in Vietnamese and English. Cacheable (ETag, 304).",
        tags=("reference",),
        cache_seconds=CACHE_SECONDS,
    )
    def reference_roles(self, request: Request):
        return _kept(("roles",), lambda: self.registration.reference_roles())

    @api(
        "GET",
        "/v1/reference/sectors",
        summary="Sectors: whether they are a closed list, and the rules a free-text sector must meet",
        auth="none",
        response=s.SectorRules,
        description="Anyone: what a form may accept as a sector (a closed list or free text within these rules), "
        "the same rules registration validates with. Cacheable (ETag, 304).",
        tags=("reference",),
        cache_seconds=CACHE_SECONDS,
    )
    def reference_sectors(self, request: Request):
        return _kept(("sectors",), lambda: self.registration.reference_sectors())

    @api(
        "GET",
        "/v1/reference/ocop",
        summary="OCOP star ratings a product may carry, what each means (vi/en), and the certificate's rules",
        auth="none",
        response=s.OcopRules,
        description="Anyone: the OCOP star ratings a product may declare, what each means, and what its "
        "certificate must show. Cacheable (ETag, 304).",
        tags=("reference",),
        cache_seconds=CACHE_SECONDS,
    )
    def reference_ocop(self, request: Request):
        return _kept(("ocop",), lambda: self.registration.reference_ocop())
