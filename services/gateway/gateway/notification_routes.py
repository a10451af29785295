"""The notifications part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from gateway import schemas as s
from gateway.edge import actor, query_of
from gateway.http import api
from gateway.request import Request
from shared.rpc import ServiceRpc


class NotificationRoutes:
    notifications = ServiceRpc("notifications")

    @api(
        "GET",
        "/v1/editions/<edition_id>/notifications",
        summary="Delivery log (organiser), newest first: ?organisation_id, status (pending, sent, written, dead), "
        "channel, template",
        auth="required",
        query=s.NotificationLogQuery,
        response=s.Page,
        tags=("notifications",),
    )
    def delivery_log(self, request: Request, edition_id: str):
        return self.notifications.delivery_log(actor(request), edition_id, query_of(request, s.NotificationLogQuery))

    @api(
        "POST",
        "/v1/notifications/<message_id>/resend",
        summary="Resend a dead-lettered message (organiser)",
        auth="required",
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
        response=s.Page,
        tags=("notifications",),
    )
    def organisation_notifications(self, request: Request, organisation_id: str):
        return self.notifications.organisation_messages(actor(request), organisation_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/organisations/<organisation_id>/delegates/<delegate_id>/notification-preferences",
        summary="A delegate's channels (e-mail by default; SMS and Zalo opt-in)",
        auth="required",
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
        tags=("notifications",),
    )
    def set_notification_preferences(self, request: Request, organisation_id: str, delegate_id: str):
        return self.notifications.set_preferences(actor(request), organisation_id, delegate_id, request.body)

    @api(
        "GET",
        "/v1/notifications/unsubscribe",
        summary="The unsubscribe link of non-essential messages",
        auth="none",
        tags=("notifications",),
    )
    def unsubscribe(self, request: Request):
        return self.notifications.unsubscribe(request.args.get("token", ""))
