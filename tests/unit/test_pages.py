"""The one pagination helper (shared/pages.py): cursors, the limit, the keyset, and every list in the contract.

The store side (a real store, ties within a millisecond, rows inserted mid-walk) is
tests/integration/test_store_pages.py; every list through the API is tests/e2e/test_pagination.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from shared import config, pages
from shared.errors import BadRequest, InvalidInput

BY_TIME = pages.Order((("created_at", -1), ("_id", -1)))
ROUTES = Path(__file__).resolve().parents[2] / "services" / "gateway" / "gateway"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("KETNOI_JWT_SECRET", "a-secret-of-enough-length-for-tests")
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


def refused(cursor: str, scope: str = "log:ed_1", order: pages.Order = BY_TIME) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        pages.position_of(cursor, scope, order)
    return caught.value


def test_a_cursor_names_the_position_it_was_signed_for():
    position = ["2026-11-27T10:00:00.000123Z", "evt_1:dlg_1:email"]
    cursor = pages.sign(position, "log:ed_1", BY_TIME)
    assert pages.position_of(cursor, "log:ed_1", BY_TIME) == position
    assert "evt_1" not in cursor and len(cursor) < pages.MAX_CURSOR
    assert pages.wanted({"limit": 5, "cursor": cursor}, "log:ed_1", BY_TIME) == pages.Wanted(
        "log:ed_1", BY_TIME, 5, position
    )
    assert pages.wanted({"limit": 5, "cursor": ""}, "log:ed_1", BY_TIME).after is None  # ?cursor= : first page


def test_a_cursor_edited_moved_or_made_up_is_refused_as_invalid_cursor(monkeypatch):
    cursor = pages.sign(["2026-11-27T10:00:00.000123Z", "m_1"], "log:ed_1", BY_TIME)
    encoded, mac = cursor.split(".")
    later = base64.urlsafe_b64encode(json.dumps(["2026-11-27T09:00:00.000000Z", "m_1"]).encode()).decode()
    short = base64.urlsafe_b64encode(b'["m_1"]').decode().rstrip("=")
    forged = [
        refused(f"{later.rstrip('=')}.{mac}"),  # another position under the same signature
        refused(f"{encoded}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}"),  # the signature edited
        refused(cursor, scope="log:ed_2"),  # another edition's list
        refused(cursor, scope="messages:ed_1"),  # another list
        refused(cursor, order=pages.Order((("created_at", 1), ("_id", 1)))),  # another order
        refused(f"{short}.{pages.sign(['m_1'], 'log:ed_1', BY_TIME).split('.')[1]}"),  # a key of the wrong length
        refused("m_1"),
        refused("not a cursor"),
        refused("%%%.abc"),
        refused("."),
    ]
    monkeypatch.setenv("KETNOI_JWT_SECRET", "another-deployment-s-secret-entirely")
    config.settings.cache_clear()
    forged.append(refused(cursor))  # signed by another deployment
    for error in forged:
        assert error.code == "invalid_cursor" and error.status == 400
        assert [(e["field"], e["code"]) for e in error.errors] == [("cursor", "invalid_cursor")]


@pytest.mark.parametrize("limit", ["0", "-1", "201", "1000", "many", "2.5", ""])
def test_a_limit_out_of_range_is_a_422_on_limit(limit):
    with pytest.raises(InvalidInput) as caught:
        pages.requested({"limit": limit}, "series")
    assert [e["field"] for e in caught.value.errors] == ["limit"]


def test_the_limit_defaults_to_50_and_reaches_200():
    assert (pages.DEFAULT_LIMIT, pages.MAX_LIMIT) == (50, 200)
    assert pages.requested(None, "series").limit == 50
    assert pages.requested({"limit": "1"}, "series").limit == 1
    assert pages.requested({"limit": "200"}, "series").limit == 200


def test_the_store_bound_is_inclusive_on_a_leading_field_and_strict_on_an_id_alone():
    assert BY_TIME.bound({"edition_id": "ed"}, None) == {"edition_id": "ed"}
    assert BY_TIME.bound({"edition_id": "ed"}, ["t", "m"]) == {"edition_id": "ed", "created_at": {"$lte": "t"}}
    assert pages.BY_ID.bound({"edition_id": "ed"}, ["p"]) == {"edition_id": "ed", "_id": {"$gt": "p"}}
    assert pages.NEWEST_ID_FIRST.bound({}, ["p"]) == {"_id": {"$lt": "p"}}
    assert pages.BY_ID.bound({"_id": {"$in": ["a"]}}, ["p"]) == {
        "$and": [{"_id": {"$in": ["a"]}}, {"_id": {"$gt": "p"}}]
    }
    with pytest.raises(ValueError):
        pages.Order((("created_at", 1),))  # not unique: two rows could tie forever


def test_beyond_follows_each_key_s_direction():
    best_first = pages.Order((("score", -1), ("_id", 1)))
    assert best_first.beyond({"score": 2, "_id": "a"}, [3, "z"])
    assert best_first.beyond({"score": 3, "_id": "b"}, [3, "a"])
    assert not best_first.beyond({"score": 3, "_id": "a"}, [3, "a"])
    assert not best_first.beyond({"score": 4, "_id": "z"}, [3, "a"])


def walk(rows: list[dict], order: pages.Order, limit: int, between=None) -> list[list[str]]:
    """Every page of an in-memory list, following next_cursor; ``between(n)`` runs after page n."""
    seen, cursor = [], None
    while True:
        answer = pages.of_rows(rows, pages.wanted({"limit": limit, "cursor": cursor}, "t", order)).answer()
        assert answer["limit"] == limit and answer["total"] == len(rows)
        seen.append([row["_id"] for row in answer["items"]])
        cursor = answer["next_cursor"]
        if cursor is None:
            return seen
        if between:
            between(len(seen))


def test_a_walk_gives_every_row_once_in_order_whatever_the_ties():
    rows = [{"_id": f"s{i:02d}", "score": i % 3} for i in range(11)]
    order = pages.Order((("score", -1), ("_id", 1)))
    expected = [r["_id"] for r in sorted(rows, key=lambda r: (-r["score"], r["_id"]))]
    for limit in (1, 2, 3, 4, 11, 200):
        walked = walk(rows, order, limit)
        assert [i for page in walked for i in page] == expected
        assert all(len(page) == limit for page in walked[:-1]) and 0 < len(walked[-1]) <= limit


def test_rows_inserted_mid_walk_shift_no_page():
    rows = [{"_id": f"p{i:02d}", "score": 0} for i in range(0, 20, 2)]  # p00, p02, … p18

    def insert(pages_seen: int) -> None:
        if pages_seen == 1:  # after p00-p02: one before the cursor (never shown), one after (shown once)
            rows.extend([{"_id": "p01", "score": 0}, {"_id": "p07", "score": 0}])

    walked = [i for page in walk(rows, pages.BY_ID, 3, insert) for i in page]
    assert walked == ["p00", "p02", "p04", "p06", "p07", "p08", "p10", "p12", "p14", "p16", "p18"]


def test_an_empty_list_and_the_last_page_have_no_cursor():
    assert pages.of_rows([], pages.requested(None, "t")).answer() == {
        "items": [],
        "next_cursor": None,
        "limit": 50,
        "total": 0,
    }
    fetched = pages.Fetched(pages.requested({"limit": "2"}, "t"), [{"_id": "a"}, {"_id": "b"}])
    assert fetched.answer(lambda row: row["_id"]) == {"items": ["a", "b"], "next_cursor": None, "limit": 2}


def test_every_list_of_the_api_answers_one_page_shape_and_declares_limit_and_cursor():
    from gateway.openapi import openapi_document
    from gateway.service import GatewayService

    document = openapi_document(GatewayService)
    assert set(document["components"]["schemas"]["Page"]["required"]) == {"items", "next_cursor", "limit"}
    lists = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schema = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
            ref = schema.get("schema", {}).get("$ref", "")
            if ref.endswith("Page"):  # Page, or a typed page of its rows (page_of: "<Item>Page")
                page = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
                assert set(page["required"]) == {"items", "next_cursor", "limit"}, ref
                lists[f"{method.upper()} {path}"] = {
                    p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"
                }
    assert len(lists) == 14, sorted(lists)
    for operation, query in lists.items():
        assert query["limit"] == {"type": "integer", "default": 50, "minimum": 1, "maximum": 200}, operation
        assert query["cursor"]["type"] == "string", operation
    # a list answered by hand (``{"items": …}`` in a route) would not page: every route returns a service's page
    for module in ROUTES.glob("*_routes.py"):
        assert '"items"' not in module.read_text(encoding="utf-8"), module.name
