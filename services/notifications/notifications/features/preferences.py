"""A delegate's channels (never fewer than one for essential messages) and the unsubscribe link."""

from __future__ import annotations

from typing import Any

from notifications import access, views
from notifications import events as ev
from notifications.domain.policy import read_unsubscribe_token
from notifications.features.telling import CONTACTS
from notifications.schemas import PreferencesIn
from notifications.settings import notify_settings
from notifications.store import NotificationsStore
from shared.entrypoints import rpc
from shared.errors import InvalidInput, NotFound
from shared.validation import load


class Preferences:
    store: NotificationsStore

    def _delegate_preferences(self, organisation_id: str, delegate_id: str) -> dict[str, Any] | None:
        contacts = self.store.contacts(organisation_id) or {"delegates": {}}
        if delegate_id not in contacts["delegates"]:
            raise NotFound("No such delegate in this organisation.", code="delegate_not_found")
        return (contacts.get("preferences") or {}).get(delegate_id)

    @rpc
    def preferences(self, actor: dict | None, organisation_id: str, delegate_id: str) -> dict:
        access.member_of(actor, organisation_id)
        stored = self._delegate_preferences(organisation_id, delegate_id)
        return views.preferences(delegate_id, views.preferences_of(stored))

    @rpc
    def set_preferences(self, actor: dict | None, organisation_id: str, delegate_id: str, payload: dict) -> dict:
        access.member_of(actor, organisation_id)
        stored = self._delegate_preferences(organisation_id, delegate_id)
        chosen = load(PreferencesIn, payload)
        if chosen.get("email") is False and chosen.get("sms") is not True and chosen.get("zalo") is not True:
            current = views.preferences_of(stored)
            if not (current.sms or current.zalo):
                raise InvalidInput(
                    "Keep at least one channel: essential messages (approvals, meeting times) must reach you.",
                    code="no_channel_left",
                    errors=[
                        {
                            "field": "email",
                            "code": "no_channel_left",
                            "message": "Turn on SMS or Zalo first.",
                            "params": {},
                        }
                    ],
                )
        self.store.set_preferences(
            organisation_id,
            delegate_id,
            {k: "yes" if v else "no" for k, v in chosen.items()},
            ev.preferences_changed(organisation_id, delegate_id, chosen, "member"),
        )
        CONTACTS.forget(organisation_id)  # other replicas follow within CACHE_SECONDS
        return self.preferences(actor, organisation_id, delegate_id)

    @rpc
    def unsubscribe(self, token: str) -> dict:
        """The link in non-essential messages: no sign-in, the signed token names the delegate."""
        delegate_id = read_unsubscribe_token(notify_settings().unsubscribe_secret, token or "")
        if delegate_id is None:
            raise InvalidInput(
                "This unsubscribe link is not valid.",
                code="invalid_token",
                errors=[{"field": "token", "code": "invalid", "message": "Not a valid link.", "params": {}}],
            )
        organisation_id = self.store.organisation_of_delegate(delegate_id)
        if organisation_id is None:
            raise NotFound("This delegate is no longer on file.", code="delegate_not_found")
        self.store.set_preferences(
            organisation_id,
            delegate_id,
            {"unsubscribed_non_essential": "yes"},
            ev.preferences_changed(
                organisation_id, delegate_id, {"unsubscribed_non_essential": True}, "unsubscribe_link"
            ),
        )
        CONTACTS.forget(organisation_id)
        return {"delegate_id": delegate_id, "unsubscribed_non_essential": True}
