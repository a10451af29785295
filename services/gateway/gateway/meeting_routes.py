"""The B2B meetings part of the public API (mixed into the gateway service)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from gateway import schemas as s
from gateway.answers import meetings as a
from gateway.edge import actor, prefers_async, query_of
from gateway.http import api
from gateway.messages import unplaced_hint
from gateway.request import Request
from shared.pages import page_of
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
        description="A member of the participant's organisation, or an organiser of the series, states its "
        "matchmaking profile; what it leaves out falls back on its registration. Only organisers set a buyer's "
        "priority (403 not_organiser); 404 participation_not_found for a participant not approved in this edition. "
        "Answers the whole profile as GET does.",
        body=s.B2bProfileBody,
        auth="required",
        tags=("meetings",),
        response=a.B2bProfile,
    )
    def set_b2b_profile(self, request: Request, edition_id: str, participation_id: str):
        return self.meetings.set_profile(actor(request), edition_id, participation_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/b2b-profiles/<participation_id>",
        summary="A participant's matchmaking profile (stated, else from registration)",
        description="For a member of the participant's organisation or an organiser (403 not_your_organisation "
        "otherwise). Each list is what the participant stated, else what registration knows (a supplier's "
        "product categories, its delegates' languages); `stated` is what it stated itself.",
        auth="required",
        tags=("meetings",),
        response=a.B2bProfile,
    )
    def b2b_profile(self, request: Request, edition_id: str, participation_id: str):
        return self.meetings.profile(actor(request), edition_id, participation_id)

    @api(
        "POST",
        "/v1/editions/<edition_id>/b2b-sessions",
        summary="Create a B2B session: slots, tables, breaks, scheduling mode, interpreters (organiser)",
        description="Organisers of the edition's series only (403 not_organiser). The slots are computed from "
        "`starts_at`, `slot_minutes` and `slots` in the edition's clock; the session must be on a day of the "
        "edition and a break must start when a slot starts (422 otherwise). Sessions are public: interpreters "
        "are shown without their names.",
        body=s.B2bSessionBody,
        auth="required",
        tags=("meetings",),
        status=201,
        response=a.B2bSession,
    )
    def create_b2b_session(self, request: Request, edition_id: str):
        return 201, self.meetings.create_session(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/b2b-sessions",
        summary="B2B sessions of an edition",
        description="Public: every B2B session of the edition, oldest first, a page at a time "
        "(404 edition_not_found). `last_run` is null in a list: read one session for its last timetable run.",
        auth="none",
        query=s.PageQuery,
        response=page_of(a.B2bSession),
        tags=("meetings",),
    )
    def b2b_sessions(self, request: Request, edition_id: str):
        return self.meetings.sessions(edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>",
        summary="A B2B session with its slots and last timetable run",
        description="Public (404 session_not_found): the slots (breaks marked), tables, interpreter seats and "
        "languages (never names), objectives, the published agenda stage and the last timetable run's report.",
        auth="none",
        tags=("meetings",),
        response=a.B2bSession,
    )
    def b2b_session(self, request: Request, session_id: str):
        return self.meetings.session(session_id)

    @api(
        "PUT",
        "/v1/b2b-sessions/<session_id>/availability/<participation_id>",
        summary="Slots a participant is away (site visit, booth duty)",
        description="A member of the participant's organisation or an organiser; replaces the slots said before "
        "for this session (422 not_found for a slot the session does not have). Picks and timetable runs keep "
        "the participant out of these slots.",
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
        description="Organisers only. Each listed supplier's meetings sit at its table and no one else's do; "
        "422 names each entry that is not an approved supplier (not_a_supplier), not a table of the session "
        "(not_found) or a table given twice (table_given_twice). Answers the session with `moves_on_next_run`: "
        "placed meetings the next timetable run will move.",
        body=s.SupplierTablesBody,
        auth="required",
        tags=("meetings",),
        response=a.SupplierTablesSet,
    )
    def set_supplier_tables(self, request: Request, session_id: str):
        return self.meetings.set_supplier_tables(actor(request), session_id, request.body)

    @api(
        "PUT",
        "/v1/editions/<edition_id>/time-away/<participation_id>",
        summary="Periods a participant is away during the edition (booth duty…), said once for every B2B session",
        description="A member of the participant's organisation or an organiser; replaces every period said "
        "before (422 for a period outside the edition's days). Every session of the edition keeps the "
        "participant out of overlapping slots; `clashes` lists meetings already at such a time, which stay "
        "until the organisers' next timetable run.",
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
        description="A member of the participant's organisation or an organiser (403 not_your_organisation "
        "otherwise); an empty list when it said none.",
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
        description="Organisers only, before booking the hall: the tables, slots and interpreters the accepted "
        "meetings need, and would need if every pending request were accepted; and, for each meeting the last "
        "timetable run left out, the smallest change (one more interpreter, table or slot) that places it, "
        "tried by solving the session again (nothing is written).",
        auth="required",
        tags=("meetings",),
        response=a.B2bPlan,
    )
    def b2b_plan(self, request: Request, session_id: str):
        return self.meetings.plan(actor(request), session_id)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/suggestions/<participation_id>",
        summary="Whom to meet, best first, with the reasons",
        description="For a member of the participant's organisation or an organiser: counterparts on the other "
        "side of this session's edition, best score first (ties by participation id), each with the reasons a "
        "person can check; pairs that already met or have a meeting under way are left out.",
        auth="required",
        query=s.PageQuery,
        response=page_of(a.Suggestion),
        tags=("meetings",),
    )
    def b2b_suggestions(self, request: Request, session_id: str, participation_id: str):
        return self.meetings.suggestions(actor(request), session_id, participation_id, query_of(request, s.PageQuery))

    # -- requests and meetings ---------------------------------------------------------------------------

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/requests",
        summary="Request a meeting (409 duplicate_meeting, meeting_limit, participant_busy)",
        description="A member of the `from` participant's organisation asks a participant on the other side "
        "(422 same_side; organisers broker instead); accepted at once where the session auto-accepts. "
        "In a pick session `slot` holds a "
        "slot (elsewhere 422 not_pickable). 409: duplicate_meeting (with existing_id), meeting_limit (with "
        "limit), not_in_b2b, or the slot refused (participant_busy, unavailable, no_table, no_interpreter).",
        body=s.MeetingRequestBody,
        auth="required",
        tags=("meetings",),
        status=201,
        response=a.Meeting,
    )
    def request_meeting(self, request: Request, session_id: str):
        return 201, self.meetings.request_meeting(actor(request), session_id, request.body)

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/brokered-meetings",
        summary="Organisers propose a meeting directly (accepted; locked where a slot is given)",
        description="Organisers only. The meeting is accepted at once and, where `slot` (and `table`) is given, "
        "placed there and locked (422 wrong_side when the supplier is not an exhibitor or the buyer not a "
        "buyer). 409: duplicate_meeting, meeting_limit, or the slot refused (participant_busy, unavailable, "
        "no_table, table_taken, no_interpreter).",
        body=s.BrokerBody,
        auth="required",
        tags=("meetings",),
        status=201,
        response=a.Meeting,
    )
    def broker_meeting(self, request: Request, session_id: str):
        return 201, self.meetings.broker(actor(request), session_id, request.body)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/meetings",
        summary="Meetings (organisers: all; participants: ?participation_id=their own), ?status=",
        description="Organisers see every meeting of the session; anyone else names a participation of their "
        "organisation with `participation_id` (403 not_organiser without it, not_your_organisation for "
        "another's). A page at a time in meeting id order, optionally of one `status`.",
        auth="required",
        query=s.MeetingQuery,
        response=page_of(a.Meeting),
        tags=("meetings",),
    )
    def session_meetings(self, request: Request, session_id: str):
        return self.meetings.meetings(actor(request), session_id, query_of(request, s.MeetingQuery))

    @api(
        "GET",
        "/v1/meetings/<meeting_id>",
        summary="One meeting (its parties and the organisers)",
        description="For members of its two parties and the organisers (403 not_your_meeting; 404 "
        "meeting_not_found). A meeting the last timetable run left without a place says why "
        "(`unplaced_reason`), what would place it (`unplaced_hint`) and that in words (`unplaced_explanation`, "
        "in ?lang= or Accept-Language).",
        auth="required",
        query=a.MeetingLanguageQuery,
        tags=("meetings",),
        response=a.MeetingSeen,
    )
    def get_meeting(self, request: Request, meeting_id: str):
        meeting = self.meetings.meeting(actor(request), meeting_id)
        meeting["unplaced_explanation"] = unplaced_hint(meeting.get("unplaced_hint"), _language(request))
        return meeting

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/accept",
        summary="Accept a request (pick sessions: with a free slot and table)",
        description="The invited organisation only (403 not_invitee). In a pick session the slot (or the one "
        "the request holds) is taken at once, else 422 (slot required); elsewhere the organisers' timetable "
        "places it (422 not_pickable for a slot). 409: not_pending, request_expired, scheduling (a timetable "
        "run is going), or the slot "
        "refused (participant_busy, unavailable, no_table, table_taken, no_interpreter).",
        body=s.AcceptBody,
        auth="required",
        tags=("meetings",),
        response=a.Meeting,
    )
    def accept_meeting(self, request: Request, meeting_id: str):
        return self.meetings.accept(actor(request), meeting_id, request.body)

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/decline",
        summary="Decline a request",
        description="The invited organisation only (403 not_invitee); 409 not_pending once it was answered, "
        "withdrawn or expired. The reason stays with the meeting; both limits are given back.",
        body=s.ReasonBody,
        auth="required",
        tags=("meetings",),
        response=a.Meeting,
    )
    def decline_meeting(self, request: Request, meeting_id: str):
        return self.meetings.decline(actor(request), meeting_id, request.body)

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/cancel",
        summary="Call a meeting or request off (calendars get a CANCEL)",
        description="Either party or an organiser (403 not_your_meeting); 409 not_open for a meeting already "
        "declined, expired or cancelled. Its place and both limits are given back.",
        body=s.ReasonBody,
        auth="required",
        tags=("meetings",),
        response=a.Meeting,
    )
    def cancel_meeting(self, request: Request, meeting_id: str):
        return self.meetings.cancel(actor(request), meeting_id, request.body)

    @api(
        "PUT",
        "/v1/meetings/<meeting_id>/lock",
        summary="Organisers fix a meeting's slot (and table); the optimiser leaves it there",
        description="Organisers only, for an accepted meeting (409 not_accepted). The meeting keeps its old "
        "place until the new one is taken; 409 scheduling while a timetable run is going, or the slot refused "
        "(participant_busy, unavailable, no_table, table_taken, no_interpreter).",
        body=s.LockBody,
        auth="required",
        tags=("meetings",),
        response=a.Meeting,
    )
    def lock_meeting(self, request: Request, meeting_id: str):
        return self.meetings.lock(actor(request), meeting_id, request.body)

    @api(
        "DELETE",
        "/v1/meetings/<meeting_id>/lock",
        summary="Let the optimiser move this meeting again",
        description="Organisers only; the meeting stays where it is until the next timetable run "
        "(409 not_accepted for a meeting that is not accepted).",
        auth="required",
        tags=("meetings",),
        response=a.Meeting,
    )
    def unlock_meeting(self, request: Request, meeting_id: str):
        return self.meetings.unlock(actor(request), meeting_id)

    @api(
        "POST",
        "/v1/meetings/<meeting_id>/status",
        summary="On the day: checked in, in progress, done (with an outcome) or no-show",
        description="Either party or an organiser, for a scheduled meeting (409 not_scheduled). A status may "
        "only follow the one before (409 invalid_transition: a done meeting cannot become a no-show); an "
        "outcome is recorded with done. A no-show is what a rescheduling run may rebook.",
        body=s.LiveBody,
        auth="required",
        tags=("meetings",),
        response=a.Meeting,
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
        description="Organisers only. Places every accepted meeting and answers the run's report (placed, left "
        "out with reasons, moved, each objective's value and bound). With `Prefer: respond-async`, or for a "
        "session of more than 3,000 accepted meetings, 202 with a job and its Location to poll instead. 422 when "
        "`now` is not a meeting slot; 409: "
        "scheduling (a run is going already), locks_conflict (locked meetings that cannot all be honoured).",
        body=s.ScheduleBody,
        auth="required",
        tags=("meetings",),
        response=a.TimetableRun,
        other_statuses={202: ("Queued: poll the job at Location (Retry-After: 1)", a.ScheduleJob)},
        headers={202: ("Location", "Retry-After", "Preference-Applied")},
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
        description="Organisers only (404 job_not_found for a job of another session). A done job carries its "
        "run's report; a failed one its error code (scheduling, locks_conflict or internal_error).",
        auth="required",
        tags=("meetings",),
        response=a.ScheduleJob,
    )
    def schedule_job(self, request: Request, session_id: str, job_id: str):
        return self.meetings.schedule_job(actor(request), session_id, job_id)

    @api(
        "POST",
        "/v1/b2b-sessions/<session_id>/agenda",
        summary="Publish the agendas, preliminary then final (participants are notified)",
        description="Organisers only; every participant with a placed meeting is sent its agenda. Each "
        "publication raises the version; 409 agenda_final for a preliminary after the final, agenda_changed "
        "when someone published meanwhile.",
        body=s.AgendaBody,
        auth="required",
        tags=("meetings",),
        response=a.AgendaPublished,
    )
    def publish_agenda(self, request: Request, session_id: str):
        return self.meetings.publish_agenda(actor(request), session_id, request.body)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/agendas/<participation_id>",
        summary="A participant's agenda (times with their zone)",
        description="For a member of the participant's organisation or an organiser (404 "
        "participation_not_found): placed meetings in time order, accepted ones not yet placed, and those "
        "cancelled after they had a place.",
        auth="required",
        tags=("meetings",),
        response=a.ParticipantAgenda,
    )
    def participant_agenda(self, request: Request, session_id: str, participation_id: str):
        return self.meetings.agenda(actor(request), session_id, participation_id)

    @api(
        "GET",
        "/v1/b2b-sessions/<session_id>/agendas/<participation_id>/calendar.ics",
        summary="The agenda as iCalendar (stable UID per meeting, SEQUENCE, CANCELLED)",
        description="The same agenda, for the same callers, as an iCalendar file in ?lang= (or "
        "Accept-Language): one stable UID per meeting, SEQUENCE raised by every move, cancelled ones CANCELLED.",
        auth="required",
        query=a.MeetingLanguageQuery,
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
        description="The same agenda, for the same callers, as an HTML page to print, in ?lang= (or Accept-Language).",
        auth="required",
        query=a.MeetingLanguageQuery,
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
        description="Organisers only: for each table, who sits there in each slot (breaks marked). With "
        "?format=html the same sheets as a printable text/html page in ?lang=.",
        auth="required",
        query=a.TableSheetsQuery,
        tags=("meetings",),
        response=a.TableSheets,
        also_produces=("text/html",),
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
        description="Organisers, or a member of one of its parties on file (403 not_a_party). A party on file "
        "is named as registered; others as stated. 422 names unknown organisations, provinces and meetings.",
        body=s.MouBody,
        auth="required",
        tags=("meetings",),
        status=201,
        response=a.Mou,
    )
    def register_mou(self, request: Request, edition_id: str):
        return 201, self.meetings.register_mou(actor(request), edition_id, request.body)

    @api(
        "GET",
        "/v1/editions/<edition_id>/mous",
        summary="MOUs (organisers: all; provinces: their province's; members: their own)",
        description="Organisers see every MOU of the edition, a province those with a party of the province, a "
        "member those of its organisation (other roles: 403 forbidden_role); oldest first, a page at a time "
        "(`registered_by` is null here).",
        auth="required",
        query=s.PageQuery,
        response=page_of(a.Mou),
        tags=("meetings",),
    )
    def list_mous(self, request: Request, edition_id: str):
        return self.meetings.mous(actor(request), edition_id, query_of(request, s.PageQuery))

    @api(
        "GET",
        "/v1/editions/<edition_id>/mous/stats",
        summary="MOUs by country, province and sector, with values per currency",
        description="Organisers and provinces (403 forbidden_role): counts and values (per currency, never "
        "converted) of the whole edition; a province is the 2025 province a party's province went into.",
        auth="required",
        tags=("meetings",),
        response=s.MouStats,
    )
    def mou_stats(self, request: Request, edition_id: str):
        return self.meetings.mou_stats(actor(request), edition_id)
