"""The notifications part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from gateway import schemas as s
from gateway.answers import platform as a
from gateway.edge import actor, query_of
from gateway.http import api
from gateway.request import Request
from shared.pages import page_of
from shared.rpc import ServiceRpc


class NotificationRoutes:
    notifications = ServiceRpc("notifications")

    @api(
        "GET",
        "/v1/editions/<edition_id>/notifications",
        summary="Delivery log (organiser), newest first: ?organisation_id, status (pending, sent, written, dead), "
        "channel, template",
        auth="required",
        query=a.NotificationLogQuery,
        response=page_of(a.NotificationMessage),
        description="An organiser of the edition's series (or ops) reads every message sent about the edition, with "
        "full addresses, newest first; filter by organisation, status, channel or template. No total: counting "
        "the log costs more than a page.",
        tags=("notifications",),
    )
    def delivery_log(self, request: Request, edition_id: str):
        return self.notifications.delivery_log(actor(request), edition_id, query_of(request, a.NotificationLogQuery))

    @api(
        "POST",
        "/v1/notifications/<message_id>/resend",
        summary="Resend a dead-lettered message (organiser)",
        auth="required",
        response=a.NotificationMessage,
        description="An organiser of the message's edition (or ops) queues a dead-lettered message again; answers "
        "the message, pending once more. 409 not_dead for a message that is not dead-lettered; 404 for an unknown "
        "id.",
        tags=("notifications",),
    )
    def resend_notification(self, request: Request, message_id: str):
        return self.notifications.resend(actor(request), message_id)

    @api(
        "GET",
        "/v1/organisations/<organisation_id>/notifications",
        summary="The messages sent to an organisation's delegates (member), newest first",
        auth="required",
        query=s.PageQuery,
        response=page_of(a.NotificationMessage),
        description="A member of the organisation (or ops) lists the messages sent to its delegates, newest first, "
        "addresses masked (l…i@example.vn).",
        tags=("notifications",),
    )
    def organisation_notifications(self, request: Request, organisation_id: str):
        return self.notifications.organisation_messages(actor(request), organisation_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/organisations/<organisation_id>/delegates/<delegate_id>/notification-preferences",
        summary="A delegate's channels (e-mail by default; SMS and Zalo opt-in)",
        auth="required",
        response=a.NotificationPreferences,
        description="A member of the organisation (or ops) reads which channels a delegate gets messages on and "
        "whether they opted out of non-essential ones. 404 for a delegate the organisation does not have.",
        tags=("notifications",),
    )
    def notification_preferences(self, request: Request, organisation_id: str, delegate_id: str):
        return self.notifications.preferences(actor(request), organisation_id, delegate_id)

    @api(
        "PUT",
        "/v1/organisations/<organisation_id>/delegates/<delegate_id>/notification-preferences",
        summary="Choose channels; opt out of non-essential messages",
        body=s.NotificationPreferencesBody,
        auth="required",
        response=a.NotificationPreferences,
        description="A member of the organisation (or ops) changes a delegate's channels; members left out keep "
        "their value; answers the preferences now in force. 422 no_channel_left for turning e-mail off with "
        "neither SMS nor Zalo on: essential messages (approvals, meeting times) must reach the delegate.",
        tags=("notifications",),
    )
    def set_notification_preferences(self, request: Request, organisation_id: str, delegate_id: str):
        return self.notifications.set_preferences(actor(request), organisation_id, delegate_id, request.body)

    @api(
        "GET",
        "/v1/notifications/unsubscribe",
        summary="The unsubscribe link of non-essential messages",
        auth="none",
        query=a.UnsubscribeQuery,
        response=a.Unsubscribed,
        description="Anyone holding the link of a non-essential message (no sign-in: the signed token names the "
        "delegate) stops non-essential messages to that delegate. 422 invalid_token for a token that is not "
        "ours; 404 delegate_not_found once the delegate is gone.",
        tags=("notifications",),
    )
    def unsubscribe(self, request: Request):
        return self.notifications.unsubscribe(request.args.get("token", ""))
