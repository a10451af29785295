"""Valid bodies with some fields broken on purpose, for the tests that every broken field is named in one answer.

A :class:`Break` puts one known wrong value at one place of a valid body and says which field the answer
must name.  :func:`some_breaks` draws a few at once (one per place); the answer must name exactly their
fields: those a rule on the body alone refuses when there are any (the first answer), else those a rule on
stored state refuses (the second).  Before the service answered in rounds, a drawn set named a part of its
fields, e.g. a phone only once the e-mail beside it was right.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from shared.errors import KetnoiError

DELETE = object()  # a Break's value: the field is left out


@dataclass(frozen=True)
class Break:
    path: str  # where in the body, dotted; digits index lists
    value: Any  # the wrong value, or DELETE
    field: str  # the field the answer names
    stored: bool = False  # refused by a rule on stored state (an edition's date, an id): the second answer


def broken(body: dict[str, Any], breaks: Iterable[Break]) -> dict[str, Any]:
    """A copy of ``body`` with every break applied."""
    body = copy.deepcopy(body)
    for found in breaks:
        *parents, last = found.path.split(".")
        target: Any = body
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        key: Any = int(last) if last.isdigit() else last
        if found.value is DELETE:
            del target[key]
        else:
            target[key] = copy.deepcopy(found.value)
    return body


def some_breaks(choices: Sequence[Break]) -> st.SearchStrategy[list[Break]]:
    """One or more breaks, at most one per place."""
    return st.lists(st.sampled_from(choices), min_size=1, max_size=len(choices), unique_by=lambda b: b.path)


def expected_fields(breaks: Iterable[Break]) -> set[str]:
    """What the one answer names: every field wrong on its own, or when there is none, every field that stored
    state refuses."""
    breaks = list(breaks)
    alone = {b.field for b in breaks if not b.stored}
    return alone or {b.field for b in breaks}


def named_fields(error: KetnoiError) -> set[str]:
    return {e["field"] for e in error.errors}
