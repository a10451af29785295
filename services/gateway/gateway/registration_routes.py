"""The registration part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from urllib.parse import quote

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.edge import actor, expected_version, query_of, with_etag
from gateway.http import api
from gateway.messages import title
from gateway.request import Request
from shared.auth import require
from shared.rpc import ServiceRpc


def _link_token(request: Request) -> object:
    """The link's token, from the body or the query (the link as the e-mail gives it)."""
    return request.body.get("token") or request.args.get("token")


class RegistrationRoutes:
    registration = ServiceRpc("registration")

    # -- series and editions --------------------------------------------------------

    @api(
        "GET",
        "/v1/series",
        summary="Conference series",
        auth="none",
        query=s.PageQuery,
        response=s.Page,
        tags=("editions",),
    )
    def list_series(self, request: Request):
        return self.registration.list_series(query_of(request, s.PageQuery))

    @api("GET", "/v1/series/<series_id>", summary="One conference series", auth="none", tags=("editions",))
    def get_series(self, request: Request, series_id: str):
        return self.registration.get_series(series_id)

    @api(
        "POST",
        "/v1/series",
        summary="Create a series (ops)",
        body=s.SeriesBody,
        auth="required",
        tags=("editions",),
        status=201,
    )
    def create_series(self, request: Request):
        require(request.principal, "ops")
        series = self.registration.create_series(actor(request), request.body)
        return 201, {"Location": f"/v1/series/{series['id']}"}, series

    @api(
        "GET",
        "/v1/editions",
        summary="Editions, newest first (drafts only for their organisers)",
        auth="optional",
        query=s.EditionQuery,
        response=s.Page,
        tags=("editions",),
    )
    def list_editions(self, request: Request):
        return self.registration.list_editions(actor(request), query_of(request, s.EditionQuery))

    @api(
        "POST",
        "/v1/editions",
        summary="Create an edition (organiser of the series)",
        body=s.EditionBody,
        auth="required",
        tags=("editions",),
        status=201,
    )
    def create_edition(self, request: Request):
        edition = self.registration.create_edition(actor(request), request.body)
        return with_etag(201, edition, f"/v1/editions/{edition['id']}")

    @api(
        "GET",
        "/v1/editions/<edition_id>",
        summary="An edition with its programme and places",
        auth="optional",
        tags=("editions",),
    )
    def get_edition(self, request: Request, edition_id: str):
        return with_etag(200, self.registration.get_edition(actor(request), edition_id))

    @api(
        "PATCH",
        "/v1/editions/<edition_id>",
        summary="Change an edition (If-Match required)",
        body=s.EditionPatch,
        auth="required",
        tags=("editions",),
    )
    def update_edition(self, request: Request, edition_id: str):
        version = expected_version(request)
        body = request.body
        return with_etag(200, self.registration.update_edition(actor(request), edition_id, version, body))

    @api(
        "POST",
        "/v1/editions/<edition_id>/status",
        summary="Open, close or finish an edition",
        body=s.StatusBody,
        auth="required",
        tags=("editions",),
    )
    def set_edition_status(self, request: Request, edition_id: str):
        version = expected_version(request) if request.headers.get("If-Match") else None
        body = request.body
        return with_etag(200, self.registration.set_edition_status(actor(request), edition_id, version, body))

    # -- registration -------------------------------------------------------------------

    @api(
        "POST",
        "/v1/editions/<edition_id>/registrations",
        summary="Register an organisation (with delegates and products) for an edition. A form naming an "
        "organisation on file, sent by anyone but its members or the edition's organisers, registers "
        "nothing yet: 202 with a claim its contacts on file are asked to confirm",
        auth="optional",
        body=s.RegistrationBody,
        tags=("registration",),
        status=201,
        other_statuses={
            202: "Awaiting the organisation's confirmation: status, claim_id, organisation_id, expires_at, message"
        },
    )
    def register(self, request: Request, edition_id: str):
        result = self.registration.register(actor(request), edition_id, request.body)
        if result.get("status") == "awaiting_confirmation":
            return (
                202,
                {"Location": f"/v1/registration-claims/{result['claim_id']}"},
                {**result, "message": title("awaiting_confirmation", request.language, result["message"])},
            )
        location = f"/v1/participations/{result['participation']['id']}"
        return 201, {"Location": location}, result

    @api(
        "GET",
        "/v1/registration-claims/<claim_id>",
        summary="A registration made in an organisation's name, waiting for it to confirm (?token= from the "
        "e-mail's link, or the organisation's member, or the edition's organiser)",
        auth="optional",
        tags=("registration",),
    )
    def get_registration_claim(self, request: Request, claim_id: str):
        token = request.args.get("token")
        claim = self.registration.get_claim(actor(request), claim_id, token)
        suffix = f"?token={quote(token, safe='')}" if token else ""
        claim["links"] = {
            action: f"/v1/registration-claims/{claim_id}/{action}{suffix}" for action in ("confirm", "decline")
        }
        return claim

    @api(
        "POST",
        "/v1/registration-claims/<claim_id>/confirm",
        summary="Confirm a registration made in the organisation's name: creates the participation and adds "
        "the form's new delegates and products (token in the body or ?token=, or a member's or "
        "organiser's bearer token). 403/410 for a bad or expired link, 409 once decided",
        auth="optional",
        body=s.ClaimDecisionBody,
        tags=("registration",),
    )
    def confirm_registration_claim(self, request: Request, claim_id: str):
        return self.registration.confirm_claim(
            actor(request), claim_id, {**request.body, "token": _link_token(request)}
        )

    @api(
        "POST",
        "/v1/registration-claims/<claim_id>/decline",
        summary="Decline a registration made in the organisation's name; nothing else changes",
        auth="optional",
        body=s.ClaimDecisionBody,
        tags=("registration",),
    )
    def decline_registration_claim(self, request: Request, claim_id: str):
        return self.registration.decline_claim(
            actor(request), claim_id, {**request.body, "token": _link_token(request)}
        )

    @api(
        "POST",
        "/v1/editions/<edition_id>/participations",
        summary="An organisation on file applies for an edition",
        body=s.ApplicationBody,
        auth="required",
        tags=("registration",),
        status=201,
    )
    def apply(self, request: Request, edition_id: str):
        participation = self.registration.apply(actor(request), edition_id, request.body)
        return 201, {"Location": f"/v1/participations/{participation['id']}"}, participation

    @api(
        "GET",
        "/v1/editions/<edition_id>/participations",
        summary="Registrations of an edition (organisers; provinces see their own)",
        auth="required",
        query=s.ParticipationQuery,
        response=s.Page,
        tags=("registration",),
    )
    def list_participations(self, request: Request, edition_id: str):
        return self.registration.list_participations(
            actor(request), edition_id, query_of(request, s.ParticipationQuery)
        )

    @api(
        "POST",
        "/v1/editions/<edition_id>/participations/decisions",
        summary="Decide many at once",
        body=s.BulkDecisionBody,
        auth="required",
        tags=("registration",),
    )
    def decide_many(self, request: Request, edition_id: str):
        return self.registration.decide_many(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/participations.csv",
        summary="Spreadsheet export (UTF-8 with BOM)",
        auth="required",
        tags=("registration",),
        produces="text/csv",
    )
    def export_csv(self, request: Request, edition_id: str):
        body = self.registration.export_csv(actor(request), edition_id)
        return Response(
            body.encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{edition_id}-registrations.csv"'},
        )

    @api(
        "GET",
        "/v1/editions/<edition_id>/stats",
        summary="Counts by province, role and status",
        auth="required",
        tags=("registration",),
    )
    def stats(self, request: Request, edition_id: str):
        return self.registration.stats(actor(request), edition_id)

    @api(
        "GET",
        "/v1/editions/<edition_id>/directory",
        summary="Public directory of approved participants (no personal data)",
        auth="none",
        query=s.ParticipationQuery,
        response=s.Page,
        tags=("registration",),
    )
    def directory(self, request: Request, edition_id: str):
        return self.registration.directory(edition_id, query_of(request, s.ParticipationQuery))

    @api(
        "GET",
        "/v1/participations/<participation_id>",
        summary="One registration",
        auth="required",
        tags=("registration",),
    )
    def get_participation(self, request: Request, participation_id: str):
        return with_etag(200, self.registration.get_participation(actor(request), participation_id))

    @api(
        "POST",
        "/v1/participations/<participation_id>/decision",
        summary="Approve, reject (with reason), waitlist or cancel",
        body=s.DecisionBody,
        auth="required",
        tags=("registration",),
    )
    def decide(self, request: Request, participation_id: str):
        body = request.body
        return with_etag(200, self.registration.decide(actor(request), participation_id, body))

    @api(
        "GET",
        "/v1/participations/<participation_id>/badges/<delegate_id>",
        summary="A delegate's badge QR payload (ids and signature only)",
        auth="required",
        tags=("check-in",),
    )
    def badge(self, request: Request, participation_id: str, delegate_id: str):
        return self.registration.badge(actor(request), participation_id, delegate_id)

    @api(
        "POST",
        "/v1/checkins",
        summary="Scan a badge at a gate (idempotent)",
        body=s.CheckInBody,
        auth="required",
        tags=("check-in",),
    )
    def check_in(self, request: Request):
        result = self.registration.check_in(actor(request), request.body)
        return (201 if result["first_scan"] else 200), result

    # -- organisations -----------------------------------------------------------------------

    @api(
        "POST",
        "/v1/organisations",
        summary="Put an organisation on file",
        body=s.OrganisationBody,
        auth="optional",
        tags=("organisations",),
        status=201,
    )
    def create_organisation(self, request: Request):
        org = self.registration.create_organisation(actor(request), request.body)
        return with_etag(201, org, f"/v1/organisations/{org['id']}")

    @api(
        "GET",
        "/v1/organisations/<organisation_id>",
        summary="An organisation (contacts only for itself and its organisers)",
        auth="optional",
        tags=("organisations",),
    )
    def get_organisation(self, request: Request, organisation_id: str):
        return with_etag(200, self.registration.get_organisation(actor(request), organisation_id))

    @api(
        "PATCH",
        "/v1/organisations/<organisation_id>",
        summary="Change name, province, sectors, website",
        body=s.OrganisationPatch,
        auth="required",
        tags=("organisations",),
    )
    def update_organisation(self, request: Request, organisation_id: str):
        version = expected_version(request)
        body = request.body
        return with_etag(200, self.registration.update_organisation(actor(request), organisation_id, version, body))

    @api(
        "POST",
        "/v1/organisations/<organisation_id>/delegates",
        summary="Add a delegate",
        body=s.Delegate,
        auth="required",
        tags=("organisations",),
        status=201,
    )
    def add_delegate(self, request: Request, organisation_id: str):
        return 201, self.registration.add_delegate(actor(request), organisation_id, request.body)

    @api(
        "POST",
        "/v1/organisations/<organisation_id>/products",
        summary="Add a product (OCOP stars optional)",
        body=s.Product,
        auth="required",
        tags=("organisations",),
        status=201,
    )
    def add_product(self, request: Request, organisation_id: str):
        return 201, self.registration.add_product(actor(request), organisation_id, request.body)
