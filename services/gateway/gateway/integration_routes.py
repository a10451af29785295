"""The integrations part of the public API (mixed into the gateway service): a province's event feed and
its webhooks."""

from __future__ import annotations

from gateway import schemas as s
from gateway.answers import platform as a
from gateway.edge import actor, query_of
from gateway.http import api
from gateway.request import Request
from shared.pages import page_of
from shared.rpc import ServiceRpc


class IntegrationRoutes:
    integrations = ServiceRpc("integrations")

    @api(
        "GET",
        "/v1/provinces/<province>/events",
        summary="A province's public events as published, oldest first (?after=<next_cursor>, limit): "
        "that province's token, ops or an organiser",
        auth="required",
        tags=("integrations",),
        query=a.ProvinceEventQuery,
        response=a.ProvinceEventFeed,
        description="A province's token (its own province only: 403 other_province), ops or an organiser reads the "
        "public events routed to the province (and national ones), each exactly as published on ketnoi.public. "
        "Poll with the last next_cursor; 404 province_not_found for a key that is not one of the 34 units.",
    )
    def province_events(self, request: Request, province: str):
        return self.integrations.province_events(actor(request), province, query_of(request, a.ProvinceEventQuery))

    @api(
        "POST",
        "/v1/webhooks",
        summary="Register an HTTPS endpoint for signed deliveries (answers its secret once)",
        body=s.WebhookBody,
        auth="required",
        tags=("integrations",),
        status=201,
        response=s.WebhookWithSecret,
        description="A province (for its own events) or ops (for one province, or every one) registers an endpoint "
        "that gets each matching public event, signed with the secret answered here once. Event types may use * "
        "patterns; 422 webhook_url_not_https or unknown_event_type.",
    )
    def register_webhook(self, request: Request):
        return self.integrations.register_webhook(actor(request), request.body)

    @api(
        "GET",
        "/v1/webhooks/<webhook_id>",
        summary="A webhook (never its secret)",
        auth="required",
        tags=("integrations",),
        response=s.Webhook,
        description="The province that owns the webhook, or ops; never its secret. 404 webhook_not_found, 403 "
        "other_province.",
    )
    def get_webhook(self, request: Request, webhook_id: str):
        return self.integrations.get_webhook(actor(request), webhook_id)

    @api(
        "POST",
        "/v1/webhooks/<webhook_id>/rotate-secret",
        summary="A new secret; the old one stays valid for KETNOI_WEBHOOK_ROTATION_HOURS",
        auth="required",
        tags=("integrations",),
        response=s.WebhookWithSecret,
        description="The owner or ops gets a new secret (answered once); deliveries are signed with both until "
        "previous_secret_valid_until, so the receiver can switch without losing any.",
    )
    def rotate_webhook_secret(self, request: Request, webhook_id: str):
        return self.integrations.rotate_secret(actor(request), webhook_id)

    @api(
        "GET",
        "/v1/webhooks/<webhook_id>/deliveries",
        summary="The delivery log, newest first (a page: ?limit, cursor)",
        auth="required",
        tags=("integrations",),
        query=s.PageQuery,
        response=page_of(s.WebhookDelivery),
        description="The owner or ops reads the webhook's deliveries, newest first, a page at a time: status, "
        "attempts, the last answer or error. No total: a webhook gets a delivery per event of its province.",
    )
    def webhook_deliveries(self, request: Request, webhook_id: str):
        return self.integrations.webhook_deliveries(actor(request), webhook_id, query_of(request, s.PageQuery))

    @api(
        "POST",
        "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
        summary="Send a delivered or dead delivery again",
        auth="required",
        tags=("integrations",),
        response=s.WebhookDelivery,
        description="The owner or ops sends a delivered or dead delivery again at once, with a fresh set of retries; "
        "409 delivery_in_progress while it is still being tried.",
    )
    def redeliver_webhook_delivery(self, request: Request, webhook_id: str, delivery_id: str):
        return self.integrations.redeliver(actor(request), webhook_id, delivery_id)

    @api(
        "POST",
        "/v1/webhooks/<webhook_id>/replay",
        summary="Send the province's events after a feed cursor again (?after, limit)",
        auth="required",
        tags=("integrations",),
        query=a.ProvinceEventQuery,
        response=s.WebhookReplay,
        description="The owner or ops queues the province's events after a feed cursor (none: from the first) again "
        "for this webhook, up to limit; answers how many. 409 replay_needs_province for a webhook of every "
        "province.",
    )
    def replay_webhook(self, request: Request, webhook_id: str):
        return self.integrations.replay(actor(request), webhook_id, query_of(request, a.ProvinceEventQuery))
