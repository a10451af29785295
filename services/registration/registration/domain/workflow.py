"""Status machines of participations and editions.

Transitions are applied with a conditional update (``{"status": {"$in": sources_for(t)}}``)
so that two organisers acting at once cannot both win; ``check_transition`` gives the
caller a precise error before trying.
"""

from __future__ import annotations

from dataclasses import dataclass


class IllegalTransition(ValueError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"cannot go from {current!r} to {target!r}")
        self.current = current
        self.target = target


@dataclass(frozen=True)
class _Machine:
    transitions: dict[str, frozenset[str]]

    def check(self, current: str, target: str) -> None:
        if target not in self.transitions.get(current, frozenset()):
            raise IllegalTransition(current, target)

    def sources(self, target: str) -> tuple[str, ...]:
        if target not in self.transitions:
            raise ValueError(f"unknown status {target!r}")
        return tuple(s for s, targets in self.transitions.items() if target in targets)


PARTICIPATION_STATUSES = (
    "submitted",
    "approved",
    "rejected",
    "waitlisted",
    "cancelled",
)
_PARTICIPATION = _Machine(
    {
        "submitted": frozenset({"approved", "rejected", "waitlisted", "cancelled"}),
        "waitlisted": frozenset({"approved", "rejected", "cancelled"}),
        "approved": frozenset({"cancelled"}),
        "rejected": frozenset(),
        "cancelled": frozenset(),
    }
)

# An edition is prepared (draft), takes registrations (open), stops taking them (closed,
# which may be reopened), and is archived once the event is over (finished).
EDITION_STATUSES = ("draft", "open", "closed", "finished")
_EDITION = _Machine(
    {
        "draft": frozenset({"open"}),
        "open": frozenset({"closed"}),
        "closed": frozenset({"open", "finished"}),
        "finished": frozenset(),
    }
)


def check_transition(current: str, target: str) -> None:
    """Raise ``IllegalTransition`` unless a participation may go from current to target.
    Staying in the same status is not a transition; idempotent retries are the caller's."""
    _PARTICIPATION.check(current, target)


def sources_for(target: str) -> tuple[str, ...]:
    """Participation statuses from which ``target`` is reachable."""
    return _PARTICIPATION.sources(target)


def check_edition_transition(current: str, target: str) -> None:
    _EDITION.check(current, target)


def edition_sources_for(target: str) -> tuple[str, ...]:
    return _EDITION.sources(target)


def reason_required(target: str) -> bool:
    """A rejection must tell the applicant why (it is sent to them)."""
    return target == "rejected"
