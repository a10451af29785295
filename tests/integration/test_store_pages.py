"""A page of a list from the real store (``ServiceStore.page``): keyset walks with no duplicate and no gap.

nx-27017 compares date-like text to the millisecond: ``created_at < v`` there also drops the rows of ``v``'s
millisecond that sort before ``v``.  The rows below share milliseconds (one event's messages are stored with
one ``created_at``, a burst of events within a millisecond), so a walk that bounded them strictly would skip
rows here; every walk is checked against the order Python gives the same rows.
"""

from __future__ import annotations

import uuid

import pytest

from shared import pages
from shared.store import ServiceStore, door_for

pytestmark = pytest.mark.usefixtures("service_env")

NEWEST_FIRST = pages.Order((("created_at", -1), ("_id", -1)))
OLDEST_FIRST = pages.Order((("created_at", 1), ("_id", 1)))


def message(n: int, micro: int, edition: str = "ed_1") -> dict:
    """Three milliseconds, several rows in each, some at the very same microsecond."""
    return {"_id": f"m{n:03d}", "edition_id": edition, "created_at": f"2026-11-27T10:00:00.00{micro:04d}Z"}


@pytest.fixture
def store() -> ServiceStore:
    return ServiceStore(door_for("notifications"))


@pytest.fixture
def collection(store: ServiceStore) -> str:
    name = f"pages_{uuid.uuid4().hex[:8]}"
    rows = [
        message(n, micro)
        for n, micro in enumerate(
            [5, 5, 5, 120, 130, 999, 999, 1000, 1001, 1001, 1500, 1999, 2000, 2000, 2001, 2500, 2999]
        )
    ]
    rows += [message(100 + n, 1001, edition="ed_2") for n in range(3)]  # another edition's, never listed
    store.db[name].insert_many(rows)
    return name


def walk(store: ServiceStore, collection: str, order: pages.Order, limit: int, between=None) -> list[str]:
    """Every page of ed_1's rows, following next_cursor; ``between(n)`` runs after page n."""
    seen, cursor, n = [], None, 0
    while True:
        wanted = pages.wanted({"limit": limit, "cursor": cursor}, "test", order)
        answer = store.page(collection, {"edition_id": "ed_1"}, wanted).answer(lambda row: row["_id"])
        assert len(answer["items"]) <= limit and answer["limit"] == limit
        seen += answer["items"]
        n += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            assert answer["total"] == len(seen) or between is not None
            return seen
        assert len(answer["items"]) == limit
        if between:
            between(n)


def expected(store: ServiceStore, collection: str, order: pages.Order) -> list[str]:
    rows = list(store.db[collection].find({"edition_id": "ed_1"}))
    return [r["_id"] for r in pages.of_rows(rows, pages.Wanted("x", order, len(rows), None)).rows]


@pytest.mark.parametrize("order", [NEWEST_FIRST, OLDEST_FIRST], ids=["newest first", "oldest first"])
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 17, 200])
def test_a_walk_gives_every_row_once_in_order_across_ties_within_a_millisecond(store, collection, order, limit):
    walked = walk(store, collection, order, limit)
    assert walked == expected(store, collection, order)
    assert len(walked) == 17


def test_rows_inserted_mid_walk_shift_no_page(store, collection):
    """A row sorting before the cursor is never shown, one after it is shown once; nothing else moves."""
    before = expected(store, collection, NEWEST_FIRST)

    def insert(page: int) -> None:
        if page == 2:  # the cursor is m011 (…0.001999): m200 ties with it but sorts first, m203 is newer;
            # m201 shares its millisecond but is older, m202 is older still
            store.db[collection].insert_many(
                [message(200, 1999), message(201, 1000), message(202, 0), message(203, 2999)]
            )

    walked = walk(store, collection, NEWEST_FIRST, 3, insert)
    assert walked[:6] == before[:6]
    assert walked[6:] == [
        i for i in expected(store, collection, NEWEST_FIRST) if i in set(before[6:]) | {"m201", "m202"}
    ]
    assert "m200" not in walked and "m203" not in walked and len(walked) == len(set(walked))


def test_a_list_by_id_alone_is_bounded_strictly_beside_an_or(store, collection):
    """The meetings list's shape: a participant's rows (either side) by ``_id``."""
    store.db[collection].update_many({"_id": {"$in": ["m001", "m004", "m009", "m016"]}}, {"$set": {"side": "a"}})
    query = {"edition_id": "ed_1", "$or": [{"side": "a"}, {"_id": "m010"}]}
    seen, cursor = [], None
    while True:
        answer = store.page(collection, query, pages.wanted({"limit": 2, "cursor": cursor}, "t")).answer()
        assert answer["total"] == 5
        seen += [row["_id"] for row in answer["items"]]
        if (cursor := answer["next_cursor"]) is None:
            break
    assert seen == ["m001", "m004", "m009", "m010", "m016"]


def test_a_count_can_be_left_out(store, collection):
    answer = store.page(collection, {"edition_id": "ed_2"}, pages.requested(None, "t"), counted=False).answer()
    assert "total" not in answer and [r["_id"] for r in answer["items"]] == ["m100", "m101", "m102"]
