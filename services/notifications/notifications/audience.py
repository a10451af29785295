"""Who hears about an event, with which template and which facts: plain Python, no nameko or pymongo.

An event becomes *notices* addressed to organisations (every delegate of the
organisation then gets the message in their own language), or to one
delegate (a check-in).  Bilingual facts stay bilingual here and are put in
the reader's language by :func:`localise`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from notifications.events import kind_of

Lookup = Callable[[str], Mapping[str, Any] | None]
NO_NAME = {"vi": "Quý đơn vị", "en": "your organisation"}


@dataclass(frozen=True)
class Notice:
    """One message to send to an organisation's delegates (or one delegate)."""

    template: str
    organisation_id: str
    edition_id: str | None
    context: dict[str, Any]
    delegate_id: str | None = None
    invitation: dict[str, Any] | None = None  # the meeting's place and calendar identity: attach the .ics
    agenda: tuple[str, str] | None = None  # (session id, participation id): list the agenda's meetings
    channels: tuple[str, ...] | None = None  # only these channels (None: the delegate's choice)


class NotYetKnown(LookupError):
    """A fact the notice needs (an edition, a participation) has not arrived yet: retried later."""


def _required(value: Mapping[str, Any] | None, what: str) -> Mapping[str, Any]:
    if value is None:
        raise NotYetKnown(what)
    return value


def notices_for(event: Mapping[str, Any], edition: Lookup, participation: Lookup, public_url: str = "") -> list[Notice]:
    """The notices an event calls for; empty for an event that concerns nobody in person.

    ``public_url``: where the API is reached from outside, for links in messages.
    """
    kind, data = kind_of(event["type"]), event["data"]
    if kind == "claim.requested":
        return [_claim_notice(data, edition, public_url)]
    if kind == "participation.rejected":
        return []  # the applicant is told by participation.rejection_explained, which has the organiser's words
    if kind.startswith("participation."):
        facts = {
            "organisation_name": data.get("organisation_name") or NO_NAME,
            "role": data["role"],
            "edition_title": _required(edition(data["edition_id"]), "edition")["title"],
        }
        if kind == "participation.approved":
            facts["promoted_from_waitlist"] = bool(data.get("promoted_from_waitlist"))
        if kind == "participation.rejection_explained":
            kind, facts["reason"] = "participation.rejected", data["reason"]
        return [Notice(kind, data["organisation_id"], data["edition_id"], facts)]
    if kind == "checkin.recorded":
        who = _required(participation(data["participation_id"]), "participation")
        facts = {
            "edition_title": _required(edition(data["edition_id"]), "edition")["title"],
            "gate": data["gate"],
            "at": data["at"],
        }
        return [Notice(kind, who["organisation_id"], data["edition_id"], facts, delegate_id=data["delegate_id"])]
    if kind == "booth.allocated":
        facts = {
            "edition_title": _required(edition(data["edition_id"]), "edition")["title"],
            "organisation_name": data.get("organisation_name") or NO_NAME,
            "booth_code": data["booth_code"],
            "zone": data["zone"],
        }
        return [Notice(kind, data["organisation_id"], data["edition_id"], facts)]
    if kind == "offer.made":
        facts = {
            "edition_title": _required(edition(data["edition_id"]), "edition")["title"],
            "booth_code": data["booth_code"],
            "expires_at": data["expires_at"],
        }
        return [Notice("booth.offer_made", data["organisation_id"], data["edition_id"], facts)]
    if kind.startswith("meeting."):
        return _meeting_notices(kind, data, edition)
    if kind == "agenda.published":
        return [
            Notice(
                kind,
                _required(participation(pid), "participation")["organisation_id"],
                data["edition_id"],
                {"session_name": data["session_name"], "stage": data["stage"]},
                agenda=(data["session_id"], pid),
            )
            for pid in data["participants"]
        ]
    return []


def _claim_notice(data: Mapping[str, Any], edition: Lookup, public_url: str) -> Notice:
    """To the organisation's contacts on file (never the form's addresses), by e-mail only: the link carries a
    token that decides the claim, which does not belong in an SMS."""
    link = f"{public_url}/v1/registration-claims/{data['claim_id']}?token={quote(data['confirm_token'], safe='')}"
    facts = {
        "organisation_name": data.get("organisation_name") or NO_NAME,
        "role": data["role"],
        "edition_title": _required(edition(data["edition_id"]), "edition")["title"],
        "proposed_delegates": [dict(d) for d in data["proposed_delegates"]],
        "expires_at": data["expires_at"],
        "confirm_url": link,
    }
    return Notice(
        "registration.claim_requested", data["organisation_id"], data["edition_id"], facts, channels=("email",)
    )


def _meeting_notices(kind: str, data: Mapping[str, Any], edition: Lookup) -> list[Notice]:
    requester = data["requested_by"]
    invitee = "buyer" if requester == "supplier" else "supplier"
    sides = {
        "meeting.requested": [invitee],
        "meeting.accepted": [requester] if requester != "organiser" else ["supplier", "buyer"],
        "meeting.declined": [requester],
    }.get(kind, ["supplier", "buyer"])
    if kind == "meeting.accepted" and data.get("auto_accepted"):
        sides = [requester, invitee]  # nobody answered: the invited side hears of it here
    notices = []
    for side in sides:
        me, other = data[side], data["buyer" if side == "supplier" else "supplier"]
        facts: dict[str, Any] = {"counterpart_name": other.get("name") or NO_NAME, "session_name": data["session_name"]}
        if kind == "meeting.requested":
            facts.update(
                edition_title=_required(edition(data["edition_id"]), "edition")["title"],
                note=None,
                respond_by=data["expires_at"],
            )
        if kind in ("meeting.scheduled", "meeting.rescheduled"):
            facts.update(starts_at=data["starts_at"], ends_at=data["ends_at"], table=data["table"])
        if kind == "meeting.rescheduled":
            facts.update(previous_starts_at=data["previous"]["starts_at"], previous_table=data["previous"]["table"])
        if kind == "meeting.cancelled":
            facts["starts_at"] = data.get("starts_at")
        if kind == "meeting.rescheduled" and not data.get("slot"):
            continue  # lost its place: the organisers place it again, and that is announced then
        placed = kind in ("meeting.scheduled", "meeting.rescheduled", "meeting.cancelled") and data.get("slot")
        invitation = (
            {k: data[k] for k in ("meeting_id", "sequence", "status", "starts_at", "ends_at", "table", "timezone")}
            if placed
            else None
        )
        template = (
            "meeting.auto_accepted"
            if kind == "meeting.accepted" and side == invitee and data.get("auto_accepted")
            else kind
        )
        notices.append(Notice(template, me["organisation_id"], data["edition_id"], facts, invitation=invitation))
    return notices


def localise(value: Any, language: str) -> Any:
    """Bilingual ``{"vi": …, "en": …}`` values in the reader's language, recursively; the rest unchanged."""
    if isinstance(value, Mapping):
        if value and set(value) <= {"vi", "en"}:
            return value.get(language) or value.get("vi") or value.get("en")
        return {k: localise(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [localise(v, language) for v in value]
    return value
