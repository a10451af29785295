"""The integrations part of the public API (mixed into the gateway service): a province's event feed and
its webhooks."""

from __future__ import annotations

from gateway import schemas as s
from gateway.edge import actor, query_of
from gateway.http import api
from gateway.request import Request
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
        response=s.ProvinceFeed,
    )
    def province_events(self, request: Request, province: str):
        return self.integrations.province_events(actor(request), province, query_of(request, s.ProvinceFeedQuery))

    @api(
        "POST",
        "/v1/webhooks",
        summary="Register an HTTPS endpoint for signed deliveries (answers its secret once)",
        body=s.WebhookBody,
        auth="required",
        tags=("integrations",),
        status=201,
        response=s.WebhookWithSecret,
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
    )
    def rotate_webhook_secret(self, request: Request, webhook_id: str):
        return self.integrations.rotate_secret(actor(request), webhook_id)

    @api(
        "GET",
        "/v1/webhooks/<webhook_id>/deliveries",
        summary="The delivery log, newest first (?limit)",
        auth="required",
        tags=("integrations",),
        response=s.WebhookDeliveries,
    )
    def webhook_deliveries(self, request: Request, webhook_id: str):
        return self.integrations.webhook_deliveries(
            actor(request), webhook_id, query_of(request, s.WebhookDeliveriesQuery)
        )

    @api(
        "POST",
        "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
        summary="Send a delivered or dead delivery again",
        auth="required",
        tags=("integrations",),
        response=s.WebhookDelivery,
    )
    def redeliver_webhook_delivery(self, request: Request, webhook_id: str, delivery_id: str):
        return self.integrations.redeliver(actor(request), webhook_id, delivery_id)

    @api(
        "POST",
        "/v1/webhooks/<webhook_id>/replay",
        summary="Send the province's events after a feed cursor again (?after, limit)",
        auth="required",
        tags=("integrations",),
        response=s.WebhookReplay,
    )
    def replay_webhook(self, request: Request, webhook_id: str):
        return self.integrations.replay(actor(request), webhook_id, query_of(request, s.ProvinceFeedQuery))
