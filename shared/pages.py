"""One pagination for every list the API serves: the query, the keyset, the signed cursor and the answer.

Every list answers ``{"items": [...], "next_cursor": <str | null>, "limit": <int>, "total": <int>}`` and
takes ``limit`` (1–:data:`MAX_LIMIT`, default :data:`DEFAULT_LIMIT`) and ``cursor``.  ``total`` counts the
list's filter and is left out where that count would cost more than the page (the README names those lists).

Keyset, never an offset: a list is sorted by an :class:`Order` whose last key is ``_id`` (unique), and a page
starts strictly after the last row of the one before.  A row inserted meanwhile therefore never shifts a
later page (an offset would show one row twice or skip one), and no page costs more the deeper it is.

A cursor is that last row's sort key, the list it belongs to (the scope: which list of which edition) and the
order, signed with a key derived from the service secret.  It says nothing a caller may not see (the values
are in the page already) and cannot be moved to another list, another order or edited: such a cursor is a
400 ``invalid_cursor``, not a list restarted somewhere else.

Why the store's bound is inclusive: nx-27017 compares date-like text (our timestamps) to the millisecond,
so ``created_at < v`` also drops the rows of ``v``'s millisecond that sort before it.  The query asks for
``created_at <= v`` and :meth:`Order.beyond` drops, exactly and in Python, the rows that are not after the
cursor (ties on MongoDB, the same millisecond on nx-27017); a list ordered by ``_id`` alone is bounded
strictly, since ids are never date-like.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from marshmallow import Schema, fields, validate

from shared.config import settings
from shared.errors import BadRequest, field_error
from shared.validation import load

# 50 fills an organiser's table or a phone's list; 200 keeps the largest page (a participation view is about
# 2 KB) a few hundred KB and one RPC well inside its 5 s deadline, whichever list it is.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 500  # a sort key of two values signed is about 130 characters


class PageQuery(Schema):
    """``limit`` and ``cursor``: the query parameters of every list (the gateway's and the services' schemas
    of list queries derive from this one)."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Rows per page (default {DEFAULT_LIMIT})."},
    )
    cursor = fields.String(
        validate=validate.Length(max=MAX_CURSOR),
        metadata={"description": "The next_cursor of the previous page; none for the first."},
    )


class Page(Schema):
    """A page of a list (the OpenAPI component every list answers with)."""

    items = fields.List(fields.Dict(), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as ?cursor= for the next page; null on the last page."},
    )
    limit = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_LIMIT))
    total = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "Rows of the whole list with these filters; absent where counting is not cheap."},
    )


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The :class:`Page` of a list of ``item`` rows: ``<Item>Page`` in the OpenAPI document, so that a client
    generated from it knows each row's fields (one class per item schema: the document names each once)."""
    name = item.__name__.removesuffix("Schema")
    return type(
        f"{name}Page",
        (Page,),
        {
            "__doc__": f"A page of {name} rows.",
            "items": fields.List(fields.Nested(item), required=True),
        },
    )


@dataclass(frozen=True)
class Order:
    """How a list is sorted: ``(field, 1 | -1)`` pairs, the last one ``_id`` so that no two rows tie."""

    keys: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        if not self.keys or self.keys[-1][0] != "_id":
            raise ValueError("a list's order ends with _id, its unique key")

    def sort(self) -> list[tuple[str, int]]:
        return list(self.keys)

    def key(self, row: dict[str, Any]) -> list[Any]:
        return [row[name] for name, _ in self.keys]

    def beyond(self, row: dict[str, Any], position: list[Any]) -> bool:
        """Is ``row`` strictly after ``position`` in this order?"""
        for (_, direction), mine, theirs in zip(self.keys, self.key(row), position, strict=True):
            if mine != theirs:
                return (mine > theirs) == (direction == 1)
        return False

    def bound(self, query: dict[str, Any], position: list[Any] | None) -> dict[str, Any]:
        """``query`` narrowed to the rows from ``position`` on, for the store (inclusive but for ``_id``)."""
        if position is None:
            return query
        (name, direction), value = self.keys[0], position[0]
        exclusive = len(self.keys) == 1
        operator = ("$gt" if direction == 1 else "$lt") if exclusive else ("$gte" if direction == 1 else "$lte")
        condition = {name: {operator: value}}
        return {"$and": [query, condition]} if name in query else {**query, **condition}

    def __str__(self) -> str:
        return ",".join(f"{'-' if direction == -1 else ''}{name}" for name, direction in self.keys)


BY_ID = Order((("_id", 1),))
NEWEST_ID_FIRST = Order((("_id", -1),))  # ids start with their creation time (shared.ids)


@dataclass(frozen=True)
class Wanted:
    """A page asked for: its list (scope), its order, how many rows and after which sort key."""

    scope: str
    order: Order
    limit: int
    after: list[Any] | None


def wanted(params: dict[str, Any], scope: str, order: Order = BY_ID) -> Wanted:
    """The page ``params`` (loaded with a :class:`PageQuery`) ask for; 400 ``invalid_cursor`` for a cursor this
    list did not issue."""
    cursor = params.get("cursor")
    return Wanted(scope, order, params["limit"], position_of(cursor, scope, order) if cursor else None)


def requested(query: dict[str, Any] | None, scope: str, order: Order = BY_ID) -> Wanted:
    """:func:`wanted` for a list with no filters: ``query`` as the caller sent it (422 for a bad ``limit``)."""
    return wanted(load(PageQuery, query or {}), scope, order)


def _key() -> bytes:
    return hashlib.sha256(b"ketnoi-cursor:" + settings().jwt_secret.encode()).digest()


def _mac(text: str, scope: str, order: Order) -> str:
    return hmac.new(_key(), f"{scope}|{order}|{text}".encode(), hashlib.sha256).hexdigest()[:24]


def sign(position: list[Any], scope: str, order: Order) -> str:
    text = json.dumps(position, separators=(",", ":"), ensure_ascii=False)
    encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{encoded}.{_mac(text, scope, order)}"


def position_of(cursor: str, scope: str, order: Order) -> list[Any]:
    """The sort key a cursor of ``scope`` and ``order`` names; 400 (``invalid_cursor``) for one the API did not
    issue."""
    encoded, _, mac = cursor.partition(".")
    try:
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = None
    if text is not None and hmac.compare_digest(mac, _mac(text, scope, order)):
        position = json.loads(text)
        if isinstance(position, list) and len(position) == len(order.keys):
            return position
    raise BadRequest(
        "This cursor was not issued for this list; start again without one.",
        code="invalid_cursor",
        errors=[field_error("cursor", "invalid_cursor", "Use the next_cursor of a page.")],
    )


@dataclass(frozen=True)
class Fetched:
    """The rows of a page (at most ``limit + 1``, all after the cursor, in order), and the list's total."""

    wanted: Wanted
    rows: list[dict[str, Any]]
    total: int | None = None

    def answer(self, view: Callable[[dict[str, Any]], Any] = lambda row: row) -> dict[str, Any]:
        """The page as every list answers it; one row more than ``limit`` says there is a next page."""
        wanted = self.wanted
        rows = self.rows[: wanted.limit]
        more = len(self.rows) > wanted.limit
        page: dict[str, Any] = {
            "items": [view(row) for row in rows],
            "next_cursor": sign(wanted.order.key(rows[-1]), wanted.scope, wanted.order) if more else None,
            "limit": wanted.limit,
        }
        if self.total is not None:
            page["total"] = self.total
        return page


def of_rows(rows: Iterable[dict[str, Any]], wanted: Wanted) -> Fetched:
    """A page of a list computed in memory (a ranking): the same keyset, with every row counted."""
    ordered = list(rows)
    for name, direction in reversed(wanted.order.keys):  # stable sorts, least significant key first
        ordered.sort(key=itemgetter(name), reverse=direction == -1)
    after = [row for row in ordered if wanted.after is None or wanted.order.beyond(row, wanted.after)]
    return Fetched(wanted, after[: wanted.limit + 1], len(ordered))
