"""The booths part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.edge import actor, query_of
from gateway.http import api
from gateway.request import Request
from shared.rpc import ServiceRpc


class BoothRoutes:
    booths = ServiceRpc("booths")

    @api(
        "GET",
        "/v1/editions/<edition_id>/floor-plan",
        summary="Floor plan with occupancy (public, no personal data)",
        auth="none",
        tags=("booths",),
    )
    def floor_plan(self, request: Request, edition_id: str):
        return self.booths.floor_plan(edition_id)

    @api(
        "PUT",
        "/v1/editions/<edition_id>/floor-plan",
        summary="Import the floor plan from CSV (organiser)",
        body=s.FloorPlanBody,
        auth="required",
        tags=("booths",),
    )
    def import_floor_plan(self, request: Request, edition_id: str):
        return self.booths.import_floor_plan(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/floor-plan.csv",
        summary="Export the floor plan as CSV",
        auth="none",
        tags=("booths",),
        produces="text/csv",
    )
    def floor_plan_csv(self, request: Request, edition_id: str):
        return Response(self.booths.floor_plan_csv(edition_id).encode("utf-8"), mimetype="text/csv")

    @api(
        "PUT",
        "/v1/editions/<edition_id>/booth-rules",
        summary="Quota groups, caps, priorities (organiser)",
        body=s.BoothRulesBody,
        auth="required",
        tags=("booths",),
    )
    def set_booth_rules(self, request: Request, edition_id: str):
        return self.booths.set_rules(actor(request), edition_id, request.body)

    @api(
        "POST",
        "/v1/editions/<edition_id>/booth-applications",
        summary="An approved exhibitor asks for booths (preferences, needs)",
        body=s.BoothApplicationBody,
        auth="required",
        tags=("booths",),
        idempotent=False,
    )
    def apply_for_booths(self, request: Request, edition_id: str):
        return self.booths.apply(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/booth-applications/<participation_id>",
        summary="An exhibitor's booth application, booths held and open offers",
        auth="required",
        tags=("booths",),
    )
    def booth_application(self, request: Request, edition_id: str, participation_id: str):
        return self.booths.application(actor(request), edition_id, participation_id)

    @api(
        "POST",
        "/v1/editions/<edition_id>/allocations",
        summary="Dry run of the booth allocation: who gets what and why",
        body=s.AllocationRunBody,
        auth="required",
        tags=("booths",),
        status=201,
    )
    def run_allocation(self, request: Request, edition_id: str):
        body = request.body
        return 201, self.booths.run_allocation(actor(request), edition_id, body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/allocations",
        summary="The edition's allocation runs, newest first",
        auth="required",
        query=s.PageQuery,
        response=s.Page,
        tags=("booths",),
    )
    def allocation_runs(self, request: Request, edition_id: str):
        return self.booths.allocation_runs(actor(request), edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/editions/<edition_id>/allocations/<run_id>",
        summary="One allocation run with every applicant's explanation",
        auth="required",
        tags=("booths",),
    )
    def allocation_run(self, request: Request, edition_id: str, run_id: str):
        return self.booths.allocation_run(actor(request), edition_id, run_id)

    @api(
        "POST",
        "/v1/editions/<edition_id>/allocations/<run_id>/commit",
        summary="Apply a dry run and publish the changes",
        auth="required",
        tags=("booths",),
    )
    def commit_allocation(self, request: Request, edition_id: str, run_id: str):
        return self.booths.commit_allocation(actor(request), edition_id, run_id)

    @api(
        "POST",
        "/v1/editions/<edition_id>/booths/<booth_code>/claim",
        summary="Claim a free booth (first come, first served; 409 with suggestions)",
        body=s.ClaimBody,
        auth="required",
        tags=("booths",),
    )
    def claim_booth(self, request: Request, edition_id: str, booth_code: str):
        return self.booths.claim(actor(request), edition_id, booth_code, request.body)

    @api(
        "POST",
        "/v1/editions/<edition_id>/booths/<booth_code>/override",
        summary="Assign, move or release a booth with a reason (organiser, audited)",
        body=s.OverrideBody,
        auth="required",
        tags=("booths",),
    )
    def override_booth(self, request: Request, edition_id: str, booth_code: str):
        return self.booths.override(actor(request), edition_id, booth_code, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/booth-audit",
        summary="Organiser overrides, oldest first",
        auth="required",
        query=s.PageQuery,
        response=s.Page,
        tags=("booths",),
    )
    def booth_audit(self, request: Request, edition_id: str):
        return self.booths.audit_trail(actor(request), edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/editions/<edition_id>/booth-assignments.csv",
        summary="Booth, organisation, province, quota group (UTF-8 with BOM)",
        auth="required",
        tags=("booths",),
        produces="text/csv",
    )
    def booth_assignments_csv(self, request: Request, edition_id: str):
        return Response(
            self.booths.assignments_csv(actor(request), edition_id).encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{edition_id}-booths.csv"'},
        )

    @api(
        "GET",
        "/v1/editions/<edition_id>/booth-offers",
        summary="Waitlist offers (organisers: all; exhibitors: ?participation_id=their own)",
        auth="required",
        query=s.OfferQuery,
        response=s.Page,
        tags=("booths",),
    )
    def booth_offers(self, request: Request, edition_id: str):
        return self.booths.offers(actor(request), edition_id, query_of(request, s.OfferQuery))

    @api(
        "POST",
        "/v1/booth-offers/<offer_id>/reply",
        summary="Accept or decline a booth offer",
        body=s.OfferReplyBody,
        auth="required",
        tags=("booths",),
        idempotent=False,
    )
    def reply_to_offer(self, request: Request, offer_id: str):
        return self.booths.reply_to_offer(actor(request), offer_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/livestream-slots",
        summary="Booked livestream slots",
        auth="none",
        query=s.PageQuery,
        response=s.Page,
        tags=("booths",),
    )
    def livestream_slots(self, request: Request, edition_id: str):
        return self.booths.slots(edition_id, query_of(request, s.PageQuery))

    @api(
        "POST",
        "/v1/editions/<edition_id>/booths/<booth_code>/slots",
        summary="Book a livestream studio slot (no double booking; a few per exhibitor)",
        body=s.SlotBody,
        auth="required",
        tags=("booths",),
        status=201,
    )
    def book_slot(self, request: Request, edition_id: str, booth_code: str):
        return 201, self.booths.book_slot(actor(request), edition_id, booth_code, request.body)
