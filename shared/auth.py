"""Who is calling: JWT bearer tokens with a role and a scope.

Roles: ``organiser`` (scope: one series), ``member`` (scope: one
organisation), ``province`` (read-only, scope: one province), ``ops``.  The
gateway verifies tokens; services receive the resulting :class:`Principal` as
a plain dict and make object-level decisions, because only the owner of the
data knows whom an object belongs to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from shared.errors import Forbidden, Unauthorized

ROLES = ("organiser", "member", "province", "ops")
ISSUER = "ketnoi"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str
    series: str | None = None
    organisation: str | None = None
    province: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Principal | None:
        return cls(**raw) if raw else None

    def organises(self, series_id: str) -> bool:
        return self.role == "organiser" and self.series == series_id

    def is_member_of(self, organisation_id: str) -> bool:
        return self.role == "member" and self.organisation == organisation_id


def mint_token(principal: Principal, secret: str, ttl: timedelta = timedelta(hours=12)) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": principal.subject,
        "iat": now,
        "exp": now + ttl,
        "role": principal.role,
        "series": principal.series,
        "org": principal.organisation,
        "province": principal.province,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str) -> Principal:
    """Verify signature, expiry and issuer; reject tokens whose scope does not fit the role."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub", "iss"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is not valid.", code="token_invalid") from exc
    role = claims.get("role")
    principal = Principal(
        role=role,
        subject=claims["sub"],
        series=claims.get("series"),
        organisation=claims.get("org"),
        province=claims.get("province"),
    )
    problem = scope_problem(principal)
    if problem:
        raise Unauthorized(problem, code="token_invalid")
    return principal


def scope_problem(principal: Principal) -> str | None:
    """Why a principal's scope does not fit its role, or None."""
    needs = {"organiser": "series", "member": "organisation", "province": "province"}
    if principal.role not in ROLES:
        return f"unknown role {principal.role!r}"
    field = needs.get(principal.role)
    if field and not getattr(principal, field):
        return f"role {principal.role} needs a {field} scope"
    return None


def signed_in(actor: dict[str, Any] | None) -> Principal:
    """The caller an RPC was given (the gateway passes ``actor``), who must be signed in."""
    return require(Principal.from_dict(actor))


def require(principal: Principal | None, *roles: str) -> Principal:
    """The caller, who must be authenticated and have one of ``roles``."""
    if principal is None:
        raise Unauthorized("Sign in to do this.", code="unauthorized")
    if roles and principal.role not in roles:
        raise Forbidden("Your role may not do this.", code="forbidden_role")
    return principal
