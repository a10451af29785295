"""The events notifications consumes (who to tell about what) and emits (what became of each message).

Its own events are internal: they name the delegate a message went to (by
id, never by address) so organisers' tools can follow deliveries.
"""

from __future__ import annotations

from typing import Any

from shared.context import current_request_id
from shared.events.envelope import make_event

SOURCE = "notifications"
PREFIX = "vn.ketnoi.notifications"
REGISTRATION = "vn.ketnoi.registration"
BOOTHS = "vn.ketnoi.booths"
MEETINGS = "vn.ketnoi.meetings"

EDITION_CREATED = f"{REGISTRATION}.edition.created.v1"
EDITION_UPDATED = f"{REGISTRATION}.edition.updated.v1"
CONTACTS_CHANGED = f"{REGISTRATION}.organisation.contacts_changed.v1"
PARTICIPATION = tuple(
    f"{REGISTRATION}.participation.{s}.v1" for s in ("submitted", "approved", "rejected", "waitlisted", "cancelled")
)
DECIDED = tuple(t for t in PARTICIPATION if t.split(".")[-2] in ("approved", "rejected", "cancelled"))
# internal: the organiser's words to a rejected applicant (the public participation.rejected carries a code)
REJECTION_EXPLAINED = f"{REGISTRATION}.participation.rejection_explained.v1"
CHECKIN_RECORDED = f"{REGISTRATION}.checkin.recorded.v1"
# internal: a form named an organisation on file; its contacts are asked to confirm (a signed token)
CLAIM_REQUESTED = f"{REGISTRATION}.claim.requested.v1"
BOOTH_ALLOCATED = f"{BOOTHS}.booth.allocated.v1"
OFFER_MADE = f"{BOOTHS}.offer.made.v1"
MEETING = tuple(
    f"{MEETINGS}.meeting.{k}.v1" for k in ("requested", "accepted", "declined", "scheduled", "rescheduled", "cancelled")
)
AGENDA_PUBLISHED = f"{MEETINGS}.agenda.published.v1"
NOTIFYING = (
    *PARTICIPATION,
    REJECTION_EXPLAINED,
    CLAIM_REQUESTED,
    CHECKIN_RECORDED,
    BOOTH_ALLOCATED,
    OFFER_MADE,
    *MEETING,
    AGENDA_PUBLISHED,
)


def kind_of(event_type: str) -> str:
    """``vn.ketnoi.meetings.meeting.scheduled.v1`` → ``meeting.scheduled``."""
    return ".".join(event_type.split(".")[3:-1])


def _event(kind: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return make_event(f"{PREFIX}.{kind}.v1", SOURCE, subject, data, current_request_id())


def message_event(kind: str, message: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    """``notification.<kind>``: sent (or written to a local outbox), failed (will retry), dead_lettered."""
    return _event(
        f"notification.{kind}",
        f"notifications/{message['_id']}",
        {
            "message_id": message["_id"],
            "source_event_id": message["event_id"],
            "source_event_type": message["event_type"],
            "template": message["template"],
            "channel": message["channel"],
            "language": message["language"],
            "delegate_id": message["recipient_id"],
            "organisation_id": message["organisation_id"],
            "edition_id": message.get("edition_id"),
            "attempts": int(message.get("attempts") or 0),
            "delivered": message.get("status") == "sent",
            "error": error,
        },
    )


def preferences_changed(organisation_id: str, delegate_id: str, changed: dict[str, bool], via: str) -> dict[str, Any]:
    """``preferences.changed``: a delegate turned channels on or off (by id; never an address)."""
    return _event(
        "preferences.changed",
        f"delegates/{delegate_id}/preferences",
        {"organisation_id": organisation_id, "delegate_id": delegate_id, "changed": changed, "via": via},
    )
