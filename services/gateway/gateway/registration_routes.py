"""The registration part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from urllib.parse import quote

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.answers import registration as a
from gateway.edge import actor, expected_version, query_of, with_etag
from gateway.http import api
from gateway.messages import title
from gateway.request import Request
from shared.auth import require
from shared.pages import page_of
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
        description="Anyone may list the conference series (a province's recurring conference), oldest key "
        "first. Each series groups its yearly editions.",
        auth="none",
        query=s.PageQuery,
        response=page_of(a.Series),
        tags=("editions",),
    )
    def list_series(self, request: Request):
        return self.registration.list_series(query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/series/<series_id>",
        summary="One conference series",
        description="Anyone may read a series by its key; 404 `series_not_found` for an unknown one.",
        auth="none",
        response=a.Series,
        tags=("editions",),
    )
    def get_series(self, request: Request, series_id: str):
        return self.registration.get_series(series_id)

    @api(
        "POST",
        "/v1/series",
        summary="Create a series (ops)",
        description="Only ops create a series (403 `forbidden_role` for anyone else). Its `key` becomes its id; "
        "409 `series_exists` when the key is taken. The Location header is the new series.",
        body=s.SeriesBody,
        response=a.Series,
        auth="required",
        tags=("editions",),
        status=201,
        headers=("Location",),
    )
    def create_series(self, request: Request):
        require(request.principal, "ops")
        series = self.registration.create_series(actor(request), request.body)
        return 201, {"Location": f"/v1/series/{series['id']}"}, series

    @api(
        "GET",
        "/v1/editions",
        summary="Editions, newest first (drafts only for their organisers)",
        description="Anyone may list the editions, newest first day first; drafts appear only for the organisers "
        "of their series (and ops). Rows carry no `places`: read one edition for them.",
        auth="optional",
        query=a.EditionListQuery,
        response=page_of(a.Edition),
        tags=("editions",),
    )
    def list_editions(self, request: Request):
        return self.registration.list_editions(actor(request), query_of(request, a.EditionListQuery))

    @api(
        "POST",
        "/v1/editions",
        summary="Create an edition (organiser of the series)",
        description="An organiser of the series (or ops) creates an edition as a draft; open it with "
        "POST …/status. 422 `unknown` on `series_id` for a series that does not exist, 403 `not_organiser` "
        "for another series. Answers the edition with its ETag and its Location.",
        body=s.EditionBody,
        response=a.Edition,
        auth="required",
        tags=("editions",),
        status=201,
        headers=("ETag", "Location"),
    )
    def create_edition(self, request: Request):
        edition = self.registration.create_edition(actor(request), request.body)
        return with_etag(201, edition, f"/v1/editions/{edition['id']}")

    @api(
        "GET",
        "/v1/editions/<edition_id>",
        summary="An edition with its programme and places",
        description="Anyone may read a published edition; a draft exists (else 404 `edition_not_found`) only "
        "for the organisers of its series. `places` shows each limited role's places and how many are taken. "
        "The ETag is what PATCH needs as If-Match.",
        auth="optional",
        response=a.Edition,
        tags=("editions",),
        headers=("ETag",),
    )
    def get_edition(self, request: Request, edition_id: str):
        return with_etag(200, self.registration.get_edition(actor(request), edition_id))

    @api(
        "PATCH",
        "/v1/editions/<edition_id>",
        summary="Change an edition (If-Match required)",
        description="An organiser of the series (or ops) changes any fields of an edition; send only those that "
        "change, with the ETag you read as If-Match (412 when someone changed it since, 428 without it). "
        "More places for a role approve waitlisted registrations at once.",
        body=s.EditionPatch,
        response=a.Edition,
        auth="required",
        tags=("editions",),
        headers=("ETag",),
    )
    def update_edition(self, request: Request, edition_id: str):
        version = expected_version(request)
        body = request.body
        return with_etag(200, self.registration.update_edition(actor(request), edition_id, version, body))

    @api(
        "POST",
        "/v1/editions/<edition_id>/status",
        summary="Open, close or finish an edition",
        description="An organiser of the series (or ops) moves an edition draft → open → closed → finished "
        "(closed may reopen); 409 `illegal_transition` for any other step. If-Match is optional here (412 when "
        "it no longer matches).",
        body=s.StatusBody,
        response=a.Edition,
        auth="required",
        tags=("editions",),
        headers=("ETag",),
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
        description="The public form, anonymous or signed in, while the edition is open (organisers of the "
        "edition may add registrations until it is finished; 409 `registration_closed` otherwise). A new "
        "organisation is put on file with it (201). A form naming an organisation on file registers at once "
        "for its members and the edition's organisers; anyone else gets 202 and a claim. The same form sent "
        "again answers the first result; another form for an organisation registered already is 409 "
        "`already_registered` (with `existing_id`).",
        auth="optional",
        body=s.RegistrationBody,
        response=a.Registered,
        tags=("registration",),
        status=201,
        other_statuses={
            202: (
                "Awaiting the organisation's confirmation (Location: the claim, readable with the e-mail's link "
                "or by the organisation's members and the edition's organisers)",
                a.AwaitingConfirmation,
            )
        },
        headers={201: ("Location",), 202: ("Location",)},
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
        description="What a registration made in an organisation's name asks for, with the links to confirm or "
        "decline it. Readable with the e-mail link's `?token=` (403 `claim_link_invalid`, 410 "
        "`claim_link_expired`), or by the organisation's members, ops and the edition's organisers; 404 "
        "`claim_not_found`. `status` is `expired` once the link's time has run out undecided.",
        auth="optional",
        query=a.ClaimLinkQuery,
        response=a.RegistrationClaim,
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
        description="The organisation (through the e-mail's link or a member's token), ops or the edition's "
        "organisers confirm a claim: the participation is created `submitted`. Confirming again answers the "
        "same; 409 `claim_decided` after a decline, 410 `claim_expired` once the claim's time ran out, 409 "
        "`registration_closed` / `already_registered` as for the form.",
        auth="optional",
        query=a.ClaimLinkQuery,
        body=s.ClaimDecisionBody,
        response=a.ClaimConfirmed,
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
        description="Whoever may confirm a claim may decline it instead (token in the body or `?token=`); the "
        "claim is answered `declined`, and the same form sent again is 409 `claim_declined`. 409 "
        "`claim_decided` for a claim decided already, 410 `claim_expired` for one whose time ran out.",
        auth="optional",
        query=a.ClaimLinkQuery,
        body=s.ClaimDecisionBody,
        response=a.RegistrationClaim,
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
        description="A member of the organisation (or ops) registers it for an open edition: 201 with the "
        "participation `submitted` and its Location. 403 `not_your_organisation`, 409 `registration_closed`, "
        "409 `already_registered` (with `existing_id`).",
        body=s.ApplicationBody,
        response=a.Participation,
        auth="required",
        tags=("registration",),
        status=201,
        headers=("Location",),
    )
    def apply(self, request: Request, edition_id: str):
        participation = self.registration.apply(actor(request), edition_id, request.body)
        return 201, {"Location": f"/v1/participations/{participation['id']}"}, participation

    @api(
        "GET",
        "/v1/editions/<edition_id>/participations",
        summary="Registrations of an edition (organisers; provinces see their own)",
        description="The organisers of the series (and ops) list every registration with filters; a province "
        "sees its own province's only (403 `other_province` for another's), without household businesses' "
        "names. 403 `not_organiser` / `forbidden_role` for anyone else.",
        auth="required",
        query=a.ParticipationListQuery,
        response=page_of(a.Participation),
        tags=("registration",),
    )
    def list_participations(self, request: Request, edition_id: str):
        return self.registration.list_participations(
            actor(request), edition_id, query_of(request, a.ParticipationListQuery)
        )

    @api(
        "POST",
        "/v1/editions/<edition_id>/participations/decisions",
        summary="Decide many at once",
        description="An organiser of the edition applies one decision to up to 500 of its registrations. Each "
        "is decided on its own: one that cannot be (`illegal_transition`, `capacity_full`, "
        "`participation_not_found`, …) is reported in `results` and does not undo the others.",
        body=s.BulkDecisionBody,
        response=a.BulkDecision,
        auth="required",
        tags=("registration",),
    )
    def decide_many(self, request: Request, edition_id: str):
        return self.registration.decide_many(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/participations.csv",
        summary="Spreadsheet export (UTF-8 with BOM)",
        description="The organisers of the series (and ops) download every registration of the edition as CSV "
        "with the first delegate's contacts (UTF-8 with a BOM, so that Excel shows Vietnamese).",
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
        description="Organisers (and ops) see the whole edition; a province sees its own province's "
        "registrations and check-ins (`for_province`). Counts are by province as registered, by 2025 province, "
        "by role and by status, with the limited roles' places.",
        auth="required",
        response=a.EditionStats,
        tags=("registration",),
    )
    def stats(self, request: Request, edition_id: str):
        return self.registration.stats(actor(request), edition_id)

    @api(
        "GET",
        "/v1/editions/<edition_id>/directory",
        summary="Public directory of approved participants (no personal data)",
        description="Anyone may list an edition's approved exhibitors and buyers: organisations, their "
        "provinces, sectors and OCOP stars, never people (a household business's name is null). 404 "
        "`edition_not_found` for a draft.",
        auth="none",
        query=a.DirectoryQuery,
        response=page_of(a.DirectoryEntry),
        tags=("registration",),
    )
    def directory(self, request: Request, edition_id: str):
        return self.registration.directory(edition_id, query_of(request, a.DirectoryQuery))

    @api(
        "GET",
        "/v1/participations/<participation_id>",
        summary="One registration",
        description="The organisation's members, ops and the edition's organisers read a registration (with "
        "its ETag); to anyone else it does not exist (404 `participation_not_found`).",
        auth="required",
        response=a.Participation,
        tags=("registration",),
        headers=("ETag",),
    )
    def get_participation(self, request: Request, participation_id: str):
        return with_etag(200, self.registration.get_participation(actor(request), participation_id))

    @api(
        "POST",
        "/v1/participations/<participation_id>/decision",
        summary="Approve, reject (with reason), waitlist or cancel",
        description="The edition's organisers decide a registration; its organisation may also cancel its own. "
        "Approving a full role waitlists a submitted registration (a waitlisted one: 409 `capacity_full`); "
        "409 `illegal_transition` for a step the workflow has not (a rejection or cancellation is final); 422 "
        "`reason_required` for a rejection without a reason.",
        body=s.DecisionBody,
        response=a.Participation,
        auth="required",
        tags=("registration",),
        headers=("ETag",),
    )
    def decide(self, request: Request, participation_id: str):
        body = request.body
        return with_etag(200, self.registration.decide(actor(request), participation_id, body))

    @api(
        "GET",
        "/v1/participations/<participation_id>/badges/<delegate_id>",
        summary="A delegate's badge QR payload (ids and signature only)",
        description="Whoever may read the registration gets a badge for one of its organisation's delegates once "
        "it is approved (409 `not_approved` before; 404 `delegate_not_found`). Print `token` as the QR code: "
        "the gate sends it unchanged as `token` to POST /v1/checkins.",
        auth="required",
        response=a.Badge,
        tags=("check-in",),
    )
    def badge(self, request: Request, participation_id: str, delegate_id: str):
        return self.registration.badge(actor(request), participation_id, delegate_id)

    @api(
        "POST",
        "/v1/checkins",
        summary="Scan a badge at a gate (idempotent)",
        description="The edition's organisers (gate staff) send a badge's `token`: 201 for the first scan of "
        "the delegate, 200 with that first check-in (its gate and time) for any later one. 422 "
        "`qr_format` / `qr_signature` / `qr_payload` on `token` for a code that is not a ketnoi badge, 409 "
        "`not_approved` for a registration no longer approved.",
        body=s.CheckInBody,
        auth="required",
        response=a.CheckIn,
        tags=("check-in",),
        status=201,
        other_statuses={200: ("Scanned before: the first check-in, unchanged", a.CheckIn)},
    )
    def check_in(self, request: Request):
        result = self.registration.check_in(actor(request), request.body)
        return (201 if result["first_scan"] else 200), result

    # -- organisations -----------------------------------------------------------------------

    @api(
        "POST",
        "/v1/organisations",
        summary="Put an organisation on file",
        description="Anyone may put an organisation on file, with its delegates (a Vietnamese one by tax code "
        "and province, a foreign buyer by country and registration number). 409 `organisation_exists` (with "
        "`existing_id`) when that identity is on file. Answers the whole record with its ETag and Location.",
        body=s.OrganisationBody,
        response=a.Organisation,
        auth="optional",
        tags=("organisations",),
        status=201,
        headers=("ETag", "Location"),
    )
    def create_organisation(self, request: Request):
        org = self.registration.create_organisation(actor(request), request.body)
        return with_etag(201, org, f"/v1/organisations/{org['id']}")

    @api(
        "GET",
        "/v1/organisations/<organisation_id>",
        summary="An organisation (contacts only for itself and its organisers)",
        description="Its members, ops and the organisers of editions it registered for read the whole record "
        "with delegates' contacts; anyone else the public profile (no delegates, no registration numbers, no "
        "household business's name). Both list its products.",
        auth="optional",
        response=a.Organisation,
        tags=("organisations",),
        headers=("ETag",),
    )
    def get_organisation(self, request: Request, organisation_id: str):
        return with_etag(200, self.registration.get_organisation(actor(request), organisation_id))

    @api(
        "PATCH",
        "/v1/organisations/<organisation_id>",
        summary="Change name, province, sectors, website",
        description="A member of the organisation (or ops) changes what is not its identity (kind, tax code and "
        "foreign registration never change), with If-Match (412 when changed since). Its registrations' "
        "lists follow the change.",
        body=s.OrganisationPatch,
        response=a.Organisation,
        auth="required",
        tags=("organisations",),
        headers=("ETag",),
    )
    def update_organisation(self, request: Request, organisation_id: str):
        version = expected_version(request)
        body = request.body
        return with_etag(200, self.registration.update_organisation(actor(request), organisation_id, version, body))

    @api(
        "POST",
        "/v1/organisations/<organisation_id>/delegates",
        summary="Add a delegate",
        description="A member of the organisation (or ops) adds a delegate (phone stored as E.164). 403 "
        "`not_your_organisation` for anyone else.",
        body=s.Delegate,
        response=a.AddedDelegate,
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
        description="A member of the organisation (or ops) adds a product; its OCOP stars count in the "
        "registrations' `ocop_max_stars` filter at once.",
        body=s.Product,
        response=a.OrganisationProduct,
        auth="required",
        tags=("organisations",),
        status=201,
    )
    def add_product(self, request: Request, organisation_id: str):
        return 201, self.registration.add_product(actor(request), organisation_id, request.body)
