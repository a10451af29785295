"""Render a notification (subject, plain text, HTML, short SMS/Zalo text) from its template and an event's facts.

Layout: ``templates/<lang>/<key>.j2`` per message and language, each filling the
blocks ``subject``, ``text``, ``html`` and ``sms`` (and optionally ``greeting``)
of ``templates/<lang>/_layout.j2``, which adds the greeting, the signature and
the footer.  One file per message keeps a message's four forms side by side,
so a translator changes them together.  The layout renders the part named by
``part``; the HTML part is rendered by an environment with autoescape on, the
others by one with it off (autoescape is decided when a file is compiled, so
each file is compiled once per environment): names and notes typed by users
are escaped in HTML and left readable in text and SMS.

``StrictUndefined``: a variable missing from the context is an error, never an
empty string in front of a delegate.  ``render`` also checks the variables
``TEMPLATES[key].context`` declares before rendering, so a variable used only
in one branch cannot slip through.  Values documented as "or None" must still
be present.

Essential messages (registration decisions, booths, meetings, check-in) are the
ones a person cannot opt out of.  Only reminders and agendas are not essential
(the agenda's meetings each also come as an essential ``meeting.scheduled``):
they carry an unsubscribe link, so ``unsubscribe_url`` is required for them
and never needed otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from notifications.domain.formatting import filters

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
PARTS = ("subject", "text", "html", "sms")
SHORT_LIMIT = 480  # characters of the SMS/Zalo text: 7 Unicode SMS segments, Zalo's notice limit is higher
OPTIONAL_CONTEXT = ("recipient_name",)  # greets the person by name when given (and not None)
RESERVED_CONTEXT = ("part", "essential")  # set by render itself


@dataclass(frozen=True)
class TemplateMeta:
    """What a template needs: whether it is essential and the context variables it requires."""

    key: str
    essential: bool
    context: tuple[str, ...]
    summary: str

    @property
    def required(self) -> tuple[str, ...]:
        """Every variable the caller must supply (``unsubscribe_url`` too for non-essential messages)."""
        return self.context if self.essential else (*self.context, "unsubscribe_url")


def _meta(key: str, context: str, summary: str, essential: bool = True) -> tuple[str, TemplateMeta]:
    return key, TemplateMeta(key, essential, tuple(context.split()), summary)


_PARTICIPATION = "organisation_name edition_title role"
_SCHEDULED = "counterpart_name session_name starts_at ends_at table"

TEMPLATES: dict[str, TemplateMeta] = dict(
    [
        _meta("participation.submitted", _PARTICIPATION, "the registration was received"),
        _meta("participation.approved", f"{_PARTICIPATION} promoted_from_waitlist", "the registration was approved"),
        _meta("participation.rejected", f"{_PARTICIPATION} reason", "not accepted; reason may be None"),
        _meta("participation.waitlisted", _PARTICIPATION, "every place for the role is taken"),
        _meta("participation.cancelled", _PARTICIPATION, "the registration was cancelled"),
        _meta(
            "registration.claim_requested",
            f"{_PARTICIPATION} proposed_delegates expires_at confirm_url",
            "a form named the organisation; nothing happens unless its contacts confirm by the link (e-mail only); "
            "proposed_delegates: [{name, email}]",
        ),
        _meta("booth.allocated", "edition_title organisation_name booth_code zone", "a booth was allocated"),
        _meta("booth.offer_made", "edition_title booth_code expires_at", "a freed booth is offered until expires_at"),
        _meta(
            "meeting.requested",
            "edition_title session_name counterpart_name note respond_by",
            "someone asks to meet; note may be None",
        ),
        _meta("meeting.accepted", "counterpart_name session_name", "the other side accepted the request"),
        _meta(
            "meeting.auto_accepted",
            "counterpart_name session_name",
            "someone asked to meet and the session accepted it at once; told to the invited side",
        ),
        _meta("meeting.declined", "counterpart_name", "the other side declined the request"),
        _meta("meeting.scheduled", _SCHEDULED, "a meeting got its time and table"),
        _meta(
            "meeting.rescheduled",
            f"{_SCHEDULED} previous_starts_at previous_table",
            "a meeting moved; previous_table may be None",
        ),
        _meta(
            "meeting.cancelled", "counterpart_name starts_at", "a meeting was cancelled; starts_at None if unscheduled"
        ),
        _meta(
            "agenda.published",
            "session_name stage meetings",
            "stage 'preliminary' or 'final'; meetings: [{starts_at, ends_at, table, counterpart_name}] in order",
            essential=False,
        ),
        _meta("checkin.recorded", "edition_title gate at", "a delegate's badge was scanned at a gate"),
        _meta(
            "reminder.edition_tomorrow", "edition_title starts_on venue", "the edition opens tomorrow", essential=False
        ),
        _meta("reminder.meeting_soon", "counterpart_name starts_at table", "a meeting starts soon", essential=False),
    ]
)
ESSENTIAL: frozenset[str] = frozenset(key for key, meta in TEMPLATES.items() if meta.essential)


@dataclass(frozen=True)
class Rendered:
    """One message in one language; ``short`` is the SMS/Zalo text (at most ``SHORT_LIMIT`` characters)."""

    subject: str
    text: str
    html: str
    short: str
    language: str  # the language actually used, after the fallback to Vietnamese


class MissingContext(jinja2.UndefinedError):
    """The context lacks variables the template requires (an ``UndefinedError``, as StrictUndefined raises)."""


def choose_language(language: str | None) -> str:
    """``vi`` or ``en`` by the primary subtag (``en-GB`` → ``en``); anything else is Vietnamese, the default."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@cache
def environment(language: str, html: bool) -> jinja2.Environment:
    """The jinja2 environment for one language, escaping everything (HTML part) or nothing (the other parts)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters.update(filters(language))
    return env


def template_path(key: str, language: str) -> str:
    return f"{language}/{key}.j2"


def render(template: str, language: str | None, context: dict[str, Any]) -> Rendered:
    """Render ``template`` (a key of ``TEMPLATES``) for a reader of ``language`` with the event's ``context``.

    Raises ``KeyError`` for an unknown key, ``MissingContext``/``jinja2.UndefinedError``
    when a variable is missing, ``ValueError`` when the context sets a reserved name.
    """
    meta = TEMPLATES[template]
    chosen = choose_language(language)
    missing = [name for name in meta.required if name not in context]
    if missing:
        raise MissingContext(f"{template} needs {', '.join(missing)} in its context")
    clashing = [name for name in RESERVED_CONTEXT if name in context]
    if clashing:
        raise ValueError(f"{', '.join(clashing)} is set by render itself")
    values = {**context, "essential": meta.essential}
    name = template_path(template, chosen)

    def part(which: str) -> str:
        return environment(chosen, which == "html").get_template(name).render(values, part=which)

    return Rendered(
        subject=" ".join(part("subject").split()),
        text=_tidy(part("text")) + "\n",
        html=_tidy(part("html")) + "\n",
        short=_shorten(" ".join(part("sms").split())),
        language=chosen,
    )


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row: templates stay readable, messages stay neat."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_RUNS.sub("\n\n", lines)


def _shorten(text: str) -> str:
    """Cut at a word boundary with an ellipsis when a long name or reason pushes the text past the limit."""
    if len(text) <= SHORT_LIMIT:
        return text
    cut = text[: SHORT_LIMIT - 1]
    space = cut.rfind(" ")
    if space > SHORT_LIMIT // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:–-") + "…"
