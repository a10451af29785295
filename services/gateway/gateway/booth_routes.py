"""The booths part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.answers import booths as a
from gateway.edge import actor, query_of
from gateway.http import api
from gateway.request import Request
from shared.pages import page_of
from shared.rpc import ServiceRpc


class BoothRoutes:
    booths = ServiceRpc("booths")

    @api(
        "GET",
        "/v1/editions/<edition_id>/floor-plan",
        summary="Floor plan with occupancy (public, no personal data)",
        auth="none",
        response=a.FloorPlan,
        description="Anyone, signed in or not: halls, zones and every booth with its status and holding organisation "
        "(never a person), totals by status and each quota group's use. 404 for an edition with no floor plan yet.",
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
        response=a.FloorPlanImported,
        description="An organiser of the edition's series replaces the floor plan with a CSV (columns in the booths "
        "README); 422 lists each bad line and field, 409 plan_in_use once booths are held.",
        tags=("booths",),
    )
    def import_floor_plan(self, request: Request, edition_id: str):
        return self.booths.import_floor_plan(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/floor-plan.csv",
        summary="Export the floor plan as CSV",
        auth="none",
        description="Anyone: the floor plan in the CSV form the import takes (no holders).",
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
        response=a.BoothRulesSet,
        description="An organiser sets the quota groups (booths per group, provinces, caps), the priority weights of "
        "the allocation, how long a waitlist offer stays open and the livestream studio hours; answers the rules with "
        "every default filled in.",
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
        response=a.BoothApplicant,
        description="A member of an approved exhibitor states how many booths it wants, its preferences (booth, zone "
        "or kind, best first) and needs; applying again replaces the wishes. 404 participation_not_found for a "
        "participation not approved as exhibitor here, 403 for another organisation's, 422 for preferences naming "
        "nothing on the plan.",
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
        response=a.BoothApplicationView,
        description="A member of the exhibitor (or ops): its application (null until it applies), the booths it holds "
        "and its open waitlist offers. 404 participation_not_found, 403 not_your_organisation.",
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
        response=a.AllocationRun,
        description="An organiser computes a dry run (nothing changes yet): every applicant's booths and the reasons, "
        "read off an optimal allocation. 409 rules_missing or plan_missing until the rules and floor plan are set; "
        "commit the run to apply it.",
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
        response=page_of(a.AllocationRunSummary),
        description="An organiser lists the edition's runs, newest first, with their numbers (not each applicant's "
        "explanation).",
        tags=("booths",),
    )
    def allocation_runs(self, request: Request, edition_id: str):
        return self.booths.allocation_runs(actor(request), edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/editions/<edition_id>/allocations/<run_id>",
        summary="One allocation run with every applicant's explanation",
        auth="required",
        response=a.AllocationRun,
        description="An organiser reads one run with every applicant's assignment, quota group and explanation; 404 "
        "run_not_found.",
        tags=("booths",),
    )
    def allocation_run(self, request: Request, edition_id: str, run_id: str):
        return self.booths.allocation_run(actor(request), edition_id, run_id)

    @api(
        "POST",
        "/v1/editions/<edition_id>/allocations/<run_id>/commit",
        summary="Apply a dry run and publish the changes",
        auth="required",
        response=a.AllocationCommitted,
        description="An organiser applies the newest dry run: open offers are withdrawn, moved booths freed and new "
        "ones given, each change published. 409 run_committed, run_outdated (newest_run names the newer one) or "
        "run_stale (applications, booths or rules changed: run again); conflicts lists booths taken meanwhile.",
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
        response=a.Booth,
        description="A member of an approved exhibitor takes a free booth once the allocation is committed, first "
        "come, first served; answers the booth now held. 409 booth_taken with suggestions (similar free booths), "
        "claims_closed before the allocation, or a quota or cap code.",
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
        response=a.BoothOverride,
        description="An organiser assigns, moves or releases a booth, with a reason; every override is audited. 409 "
        "booth_free (release or move of a free booth) or booth_taken; 404 booth_not_found or participation_not_found.",
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
        response=page_of(a.BoothOverride),
        description="An organiser reads the edition's overrides, oldest first.",
        tags=("booths",),
    )
    def booth_audit(self, request: Request, edition_id: str):
        return self.booths.audit_trail(actor(request), edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/editions/<edition_id>/booth-assignments.csv",
        summary="Booth, organisation, province, quota group (UTF-8 with BOM)",
        auth="required",
        description="An organiser downloads who holds each booth (booth, zone, kind, organisation, province, quota "
        "group, source) as CSV for printing.",
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
        response=page_of(a.BoothOffer),
        description="Organisers see every waitlist offer of the edition; an exhibitor's member passes "
        "?participation_id= to see its own (403 otherwise).",
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
        response=a.BoothOffer,
        description="A member of the exhibitor offered a freed booth accepts (the booth becomes its own) or declines "
        "(it goes to the next on the waitlist); answers the offer closed. 409 offer_closed once answered, expired or "
        "withdrawn.",
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
        response=page_of(a.LivestreamSlot),
        description="Anyone: the livestream studio slots booked, with the organisation that booked each.",
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
        response=a.LivestreamSlot,
        description="A member of an approved exhibitor books a slot of a livestream studio: on the studio's grid "
        "during the edition, no double booking (409 slot_taken), a few per exhibitor (409 slot_limit).",
        tags=("booths",),
        status=201,
    )
    def book_slot(self, request: Request, edition_id: str, booth_code: str):
        return 201, self.booths.book_slot(actor(request), edition_id, booth_code, request.body)
