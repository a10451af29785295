"""The B2B meetings part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.edge import actor, prefers_async, query_of
from gateway.http import api
from gateway.messages import unplaced_hint
from gateway.request import Request
from shared.rpc import ServiceRpc

LANGUAGES = ("vi", "en")
SCHEDULE_TIMEOUT = 60.0


def _language(request: Request) -> str:
    """``?lang=`` first, then Accept-Language, then Vietnamese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "vi"


class MeetingRoutes:
    meetings = ServiceRpc("meetings")
    # computing a whole session's timetable writes every meeting that moves: allowed more than a plain call
    meetings_scheduler = ServiceRpc("meetings", timeout=SCHEDULE_TIMEOUT)

    # -- profiles and sessions --------------------------------------------------------------------------

    @api(
        "PUT",
        "/v1/editions/<edition_id>/b2b-profiles/<participation_id>",
        summary="What a supplier offers or a buyer seeks (markets, certifications, languages)",
        body=s.B2bProfileBody,
        auth="required",
        tags=("meetings",),
    )
    def set_b2b_profile(self, request: Request, edition_id: str, participation_id: str):
        return self.meetings.set_profile(actor(request), edition_id, participation_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/b2b-profiles/<participation_id>",
        summary="A participant's matchmaking profile (stated, else from registration)",
        auth="required",
        tags=("meetings",),
    )
    def b2b_profile(self, request: Request, edition_id: str, participation_id: str):
        return self.meetings.profile(actor(request), edition_id, participation_id)

    @api(
        "POST",
        "/v1/editions/<edition_id>/b2b-sessions",
        summary="Create a B2B session: slots, tables, breaks, scheduling mode, interpreters (organiser)",
        body=s.B2bSessionBody,
        auth="required",
        tags=("meetings",),
        status=201,
    )
    def create_b2b_session(self, request: Request, edition_id: str):
        return 201, self.meetings.create_session(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/b2b-sessions",
        summary="B2B sessions of an edition",
        auth="none",
        query=s.PageQuery,
        response=s.Page,
        tags=("meetings",),
    )
    def b2b_sessions(self, request: Request, edition_id: str):
        return self.meetings.sessions(edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>",
        summary="A B2B session with its slots and last timetable run",
        auth="none",
        tags=("meetings",),
    )
    def b2b_session(self, request: Request, session_id: str):
        return self.meetings.session(session_id)

    @api(
        "PUT",
        "/v1/b2b-sessions/<session_id>/availability/<participation_id>",
        summary="Slots a participant is away (site visit, booth duty)",
        body=s.AvailabilityBody,
        auth="required",
        tags=("meetings",),
        response=s.Availability,
    )
    def set_availability(self, request: Request, session_id: str, participation_id: str):
        return self.meetings.set_availability(actor(request), session_id, participation_id, request.body)

    @api(
        "PUT",
        "/v1/b2b-sessions/<session_id>/supplier-tables",
        summary="Suppliers with a table of their own for the whole session (organiser); replaces the last list",
        body=s.SupplierTablesBody,
        auth="required",
        tags=("meetings",),
    )
    def set_supplier_tables(self, request: Request, session_id: str):
        return self.meetings.set_supplier_tables(actor(request), session_id, request.body)

    @api(
        "PUT",
        "/v1/editions/<edition_id>/time-away/<participation_id>",
        summary="Periods a participant is away during the edition (booth duty…), said once for every B2B session",
        body=s.TimeAwayBody,
        auth="required",
        tags=("meetings",),
        response=s.TimeAwaySaved,
    )
    def set_time_away(self, request: Request, edition_id: str, participation_id: str):
        return self.meetings.set_time_away(actor(request), edition_id, participation_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/time-away/<participation_id>",
        summary="The periods a participant said it is away during the edition",
        auth="required",
        tags=("meetings",),
        response=s.TimeAway,
    )
    def time_away(self, request: Request, edition_id: str, participation_id: str):
        return self.meetings.time_away(actor(request), edition_id, participation_id)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/plan",
        summary="Planning aid: tables and slots the accepted requests need (organiser)",
        auth="required",
        tags=("meetings",),
    )
    def b2b_plan(self, request: Request, session_id: str):
        return self.meetings.plan(actor(request), session_id)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/suggestions/<participation_id>",
        summary="Whom to meet, best first, with the reasons",
        auth="required",
        query=s.PageQuery,
        response=s.Page,
        tags=("meetings",),
    )
    def b2b_suggestions(self, request: Request, session_id: str, participation_id: str):
        return self.meetings.suggestions(actor(request), session_id, participation_id, query_of(request, s.PageQuery))

    # -- requests and meetings ---------------------------------------------------------------------------

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/requests",
        summary="Request a meeting (409 duplicate_meeting, meeting_limit, participant_busy)",
        body=s.MeetingRequestBody,
        auth="required",
        tags=("meetings",),
        status=201,
    )
    def request_meeting(self, request: Request, session_id: str):
        return 201, self.meetings.request_meeting(actor(request), session_id, request.body)

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/brokered-meetings",
        summary="Organisers propose a meeting directly (accepted; locked where a slot is given)",
        body=s.BrokerBody,
        auth="required",
        tags=("meetings",),
        status=201,
    )
    def broker_meeting(self, request: Request, session_id: str):
        return 201, self.meetings.broker(actor(request), session_id, request.body)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/meetings",
        summary="Meetings (organisers: all; participants: ?participation_id=their own), ?status=",
        auth="required",
        query=s.MeetingQuery,
        response=s.Page,
        tags=("meetings",),
    )
    def session_meetings(self, request: Request, session_id: str):
        return self.meetings.meetings(actor(request), session_id, query_of(request, s.MeetingQuery))

    @api(
        "GET",
        "/v1/meetings/<meeting_id>",
        summary="One meeting (its parties and the organisers)",
        auth="required",
        tags=("meetings",),
    )
    def get_meeting(self, request: Request, meeting_id: str):
        meeting = self.meetings.meeting(actor(request), meeting_id)
        meeting["unplaced_explanation"] = unplaced_hint(meeting.get("unplaced_hint"), _language(request))
        return meeting

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/accept",
        summary="Accept a request (pick sessions: with a free slot and table)",
        body=s.AcceptBody,
        auth="required",
        tags=("meetings",),
    )
    def accept_meeting(self, request: Request, meeting_id: str):
        return self.meetings.accept(actor(request), meeting_id, request.body)

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/decline",
        summary="Decline a request",
        body=s.ReasonBody,
        auth="required",
        tags=("meetings",),
    )
    def decline_meeting(self, request: Request, meeting_id: str):
        return self.meetings.decline(actor(request), meeting_id, request.body)

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/cancel",
        summary="Call a meeting or request off (calendars get a CANCEL)",
        body=s.ReasonBody,
        auth="required",
        tags=("meetings",),
    )
    def cancel_meeting(self, request: Request, meeting_id: str):
        return self.meetings.cancel(actor(request), meeting_id, request.body)

    @api(
        "PUT",
        "/v1/meetings/<meeting_id>/lock",
        summary="Organisers fix a meeting's slot (and table); the optimiser leaves it there",
        body=s.LockBody,
        auth="required",
        tags=("meetings",),
    )
    def lock_meeting(self, request: Request, meeting_id: str):
        return self.meetings.lock(actor(request), meeting_id, request.body)

    @api(
        "DELETE",
        "/v1/meetings/<meeting_id>/lock",
        summary="Let the optimiser move this meeting again",
        auth="required",
        tags=("meetings",),
    )
    def unlock_meeting(self, request: Request, meeting_id: str):
        return self.meetings.unlock(actor(request), meeting_id)

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/status",
        summary="On the day: checked in, in progress, done (with an outcome) or no-show",
        body=s.LiveBody,
        auth="required",
        tags=("meetings",),
    )
    def meeting_status(self, request: Request, meeting_id: str):
        return self.meetings.set_live(actor(request), meeting_id, request.body)

    # -- timetable and agendas -------------------------------------------------------------------------

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/schedule",
        summary="Schedule every accepted meeting (Δ slots where only people constrain; few moves after). "
        "With 'Prefer: respond-async', or for a session of more than 3,000 accepted meetings: "
        "202 and a job to poll at Location",
        body=s.ScheduleBody,
        auth="required",
        tags=("meetings",),
    )
    def schedule_session(self, request: Request, session_id: str):
        body = request.body
        if prefers_async(request):
            job = self.meetings.schedule_later(actor(request), session_id, body)
            return (
                202,
                {
                    "Location": f"/v1/b2b-sessions/{session_id}/schedule-jobs/{job['id']}",
                    "Preference-Applied": "respond-async",
                    "Retry-After": "1",
                },
                job,
            )
        done = self.meetings_scheduler.schedule(actor(request), session_id, body)
        if "queued" in done:  # too many meetings to answer within the deadline: a job, as if asked for
            job = done["queued"]
            return (
                202,
                {"Location": f"/v1/b2b-sessions/{session_id}/schedule-jobs/{job['id']}", "Retry-After": "1"},
                job,
            )
        return done

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/schedule-jobs/<job_id>",
        summary="A timetable computed in the background: queued, running, done (with its run) or failed",
        auth="required",
        tags=("meetings",),
    )
    def schedule_job(self, request: Request, session_id: str, job_id: str):
        return self.meetings.schedule_job(actor(request), session_id, job_id)

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/agenda",
        summary="Publish the agendas, preliminary then final (participants are notified)",
        body=s.AgendaBody,
        auth="required",
        tags=("meetings",),
    )
    def publish_agenda(self, request: Request, session_id: str):
        return self.meetings.publish_agenda(actor(request), session_id, request.body)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/agendas/<participation_id>",
        summary="A participant's agenda (times with their zone)",
        auth="required",
        tags=("meetings",),
    )
    def participant_agenda(self, request: Request, session_id: str, participation_id: str):
        return self.meetings.agenda(actor(request), session_id, participation_id)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/agendas/<participation_id>/calendar.ics",
        summary="The agenda as iCalendar (stable UID per meeting, SEQUENCE, CANCELLED)",
        auth="required",
        tags=("meetings",),
        produces="text/calendar",
    )
    def participant_calendar(self, request: Request, session_id: str, participation_id: str):
        text = self.meetings.agenda_calendar(actor(request), session_id, participation_id, _language(request))
        return Response(
            text.encode("utf-8"),
            mimetype="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="b2b-{participation_id}.ics"'},
        )

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/agendas/<participation_id>/print",
        summary="The agenda as a printable page (?lang=vi|en)",
        auth="required",
        tags=("meetings",),
        produces="text/html",
    )
    def participant_agenda_page(self, request: Request, session_id: str, participation_id: str):
        html = self.meetings.agenda_page(actor(request), session_id, participation_id, _language(request))
        return Response(html, mimetype="text/html")

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/table-sheets",
        summary="Per-table sheets for the hall (organiser; ?format=html to print)",
        auth="required",
        tags=("meetings",),
    )
    def table_sheets(self, request: Request, session_id: str):
        if request.args.get("format") == "html":
            html = self.meetings.table_sheets(actor(request), session_id, True, _language(request))
            return Response(html, mimetype="text/html")
        return self.meetings.table_sheets(actor(request), session_id)

    # -- MOUs ---------------------------------------------------------------------------------------------

    @api(
        "POST",
        "/v1/editions/<edition_id>/mous",
        summary="Register an MOU or cooperation agreement (organisers or a party)",
        body=s.MouBody,
        auth="required",
        tags=("meetings",),
        status=201,
    )
    def register_mou(self, request: Request, edition_id: str):
        return 201, self.meetings.register_mou(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/mous",
        summary="MOUs (organisers: all; provinces: their province's; members: their own)",
        auth="required",
        query=s.PageQuery,
        response=s.Page,
        tags=("meetings",),
    )
    def list_mous(self, request: Request, edition_id: str):
        return self.meetings.mous(actor(request), edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/editions/<edition_id>/mous/stats",
        summary="MOUs by country, province and sector, with values per currency",
        auth="required",
        tags=("meetings",),
        response=s.MouStats,
    )
    def mou_stats(self, request: Request, edition_id: str):
        return self.meetings.mou_stats(actor(request), edition_id)
