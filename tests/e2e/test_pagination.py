"""One pagination on every list, through the gateway: each of the API's lists walked to its end in small pages.

A walk must show every row that was there when it began exactly once, in the list's order, with the right
``total`` (where the list counts); rows inserted after its first page must not shift it: one that sorts after
the cursor is shown once, one that sorts before it never.  A bad ``limit`` is a 422 on ``limit`` and a
cursor of another list a 400 ``invalid_cursor``, on every list.  The last test holds the walks to the lists
the OpenAPI document declares, so a new list without a walk here fails.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest

from tests.e2e.test_booths import booth, floor_plan
from tests.e2e.test_meetings import approved, buyer, session_body, supplier
from tests.support.api import Client, edition_body, registration
from tests.support.waiting import eventually

SLOT_DAY = "2024-08-16"


@dataclass
class World:
    """One series of this module's own: its editions, and one edition with a row or more in every list."""

    series: str
    organiser: str
    eid: str
    exhibitors: list[tuple[str, str, str]]  # (participation, organisation, member token): X1-X4 then Y1-Y4
    buyers: list[tuple[str, str, str]]
    sessions: list[str]
    ids: dict[str, str] = field(default_factory=dict)


def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def make_edition(api: Client, world_series: str, organiser: str, starts_on: date, open_it: bool = True) -> str:
    created = api.request(
        "POST", "/v1/editions", organiser, json=edition_body(world_series, starts_on, "thanh-hoa", ["nghe-an"])
    )
    edition = ok(created, 201)
    if open_it:
        ok(
            api.request(
                "POST",
                f"/v1/editions/{edition['id']}/status",
                organiser,
                json={"status": "open"},
                headers={"If-Match": created.headers["ETag"]},
            )
        )
    return edition["id"]


def override(api: Client, world: World, code: str, action: str, pid: str | None = None) -> dict:
    body = {
        "action": action,
        "reason": "Sắp xếp lại theo đề nghị của Ban tổ chức",
        **({"participation_id": pid} if pid else {}),
    }
    return ok(
        eventually(
            lambda: api.request("POST", f"/v1/editions/{world.eid}/booths/{code}/override", world.organiser, json=body)
        )
    )


def book_slot(api: Client, world: World, who: tuple[str, str, str], at: str) -> dict:
    return ok(
        eventually(
            lambda: api.request(
                "POST",
                f"/v1/editions/{world.eid}/booths/L01/slots",
                who[2],
                json={"participation_id": who[0], "starts_at": f"{SLOT_DAY}T{at}:00+07:00"},
            )
        ),
        201,
    )


def broker(api: Client, world: World, session: str, supplier_pid: str, buyer_pid: str) -> dict:
    return ok(
        eventually(
            lambda: api.request(
                "POST",
                f"/v1/b2b-sessions/{session}/brokered-meetings",
                world.organiser,
                json={"supplier": supplier_pid, "buyer": buyer_pid},
            )
        ),
        201,
    )


def mou(api: Client, world: World, *provinces: str) -> dict:
    parties = [{"name": {"vi": f"Liên minh HTX {p}"}, "kind": "alliance", "province": p} for p in provinces]
    return ok(
        api.request(
            "POST",
            f"/v1/editions/{world.eid}/mous",
            world.organiser,
            json={
                "title": {"vi": "Biên bản ghi nhớ tiêu thụ nông sản"},
                "parties": parties,
                "sector": "processed_food",
                "signed_on": SLOT_DAY,
            },
        ),
        201,
    )


def settled(api: Client, path: str, token: str | None, at_least: int, timeout: float = 30) -> list[dict]:
    """A list fed by events once it holds ``at_least`` rows and two reads in a row agree."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        now = api.every(path, token)
        if len(now) >= at_least and now == last:
            return now
        assert time.monotonic() < deadline, f"{path} did not settle: {len(now)} rows"
        last = now
        time.sleep(0.2)


@pytest.fixture(scope="module")
def world(api: Client, ops: str) -> World:
    series = f"pages-{uuid.uuid4().hex[:8]}"
    for key in (series, *(f"{series}-{n}" for n in range(4))):  # a page or more of series, however many exist
        ok(api.request("POST", "/v1/series", ops, json={"key": key, "name": {"vi": "Phân trang"}}), 201)
    organiser = api.token("organiser", series=series)
    eid = make_edition(api, series, organiser, date(2024, 8, 16))
    for starts_on, open_it in ((date(2024, 6, 1), True), (date(2024, 10, 1), False), (date(2024, 12, 1), True)):
        make_edition(api, series, organiser, starts_on, open_it)
    ok(
        eventually(
            lambda: api.request(
                "PUT",
                f"/v1/editions/{eid}/floor-plan",
                organiser,
                json={
                    "csv": floor_plan(
                        *(booth(f"A0{n}", x=3 * n) for n in range(1, 7)),
                        booth("L01", kind="livestream", zone="L", x=30),
                    )
                },
            )
        )
    )
    ok(
        api.request(
            "PUT",
            f"/v1/editions/{eid}/booth-rules",
            organiser,
            json={
                "groups": [{"name": "all", "booths": 20, "provinces": None}],
                "organisation_max": 1,
                "livestream": {"slot_minutes": 30, "per_organisation": 2},
            },
        )
    )
    exhibitors = [approved(api, organiser, eid, registration(p)) for p in ("thanh-hoa", "nghe-an") * 4]
    buyers = [buyer(api, organiser, eid, interpreter=None) for _ in range(3)]
    world = World(series, organiser, eid, exhibitors, buyers, [])

    for pid, _, member in exhibitors[4:]:  # Y1-Y4 want a booth; X1-X4 get theirs from the organiser
        ok(
            eventually(
                lambda pid=pid, member=member: api.request(
                    "POST",
                    f"/v1/editions/{eid}/booth-applications",
                    member,
                    json={"participation_id": pid, "booths_wanted": 1},
                )
            )
        )
    for n, (pid, _, _) in enumerate(exhibitors[:4], 1):
        override(api, world, f"A0{n}", "assign", pid)
    for code in ("A01", "A02", "A03"):  # each freed booth is offered to one of Y1-Y4
        override(api, world, code, "release")
    for _ in range(3):
        ok(api.request("POST", f"/v1/editions/{eid}/allocations", organiser, json={}), 201)
    x1, x2, x3 = exhibitors[:3]
    for who, at in ((x1, "09:00"), (x1, "09:30"), (x2, "10:00"), (x2, "10:30"), (x3, "11:00")):
        book_slot(api, world, who, at)

    world.sessions = [
        ok(api.request("POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body()), 201)["id"]
        for _ in range(3)
    ]
    (b1, _, _), (b2, _, _) = buyers[:2]
    for supplier_pid, buyer_pid in ((x1[0], b1), (x2[0], b1), (x3[0], b1), (x1[0], b2), (x2[0], b2)):
        broker(api, world, world.sessions[0], supplier_pid, buyer_pid)
    for provinces in (
        ("nghe-an", "ha-tinh"),
        ("thanh-hoa", "ha-tinh"),
        ("nghe-an", "thanh-hoa"),
        ("nghe-an", "quang-tri"),
    ):
        mou(api, world, *provinces)
    return world


@dataclass(frozen=True)
class Case:
    """One list: where it is, who reads it, its page size, how a row is named, and what to insert mid-walk
    (returning the ids of the new rows; None: the rows it inserts are found by comparing the list)."""

    name: str
    path: Callable[[World], str]
    token: Callable[[Client, World], str | None]
    limit: int
    insert: Callable[[Client, World], list[str] | None] | None = None
    params: dict[str, str] = field(default_factory=dict)
    key: str = "id"
    counted: bool = True
    settle: int = 0  # a list fed by events: wait until it holds this many rows and stops changing


def organiser_of(api: Client, world: World) -> str:
    return world.organiser


def registered(api: Client, world: World) -> list[str]:
    return [
        ok(api.request("POST", f"/v1/editions/{world.eid}/registrations", json=registration("ha-tinh")), 201)[
            "participation"
        ]["id"]
    ]


def new_series(api: Client, world: World) -> list[str]:
    ops = api.token("ops")
    keys = [f"0-{world.series}", f"zz-{world.series}"]  # one sorts before every series, one after
    for key in keys:
        ok(api.request("POST", "/v1/series", ops, json={"key": key, "name": {"vi": "Thêm"}}), 201)
    return keys


def mous_for_nghe_an(api: Client, world: World) -> list[str]:
    """Two MOUs, one with a party of Nghệ An: only that one is the province's to see."""
    hidden, shown = mou(api, world, "thanh-hoa", "ha-tinh")["id"], mou(api, world, "quang-tri", "nghe-an")["id"]
    listed = {m["id"] for m in api.every(f"/v1/editions/{world.eid}/mous", api.token("province", province="nghe-an"))}
    assert shown in listed and hidden not in listed
    return [shown]


def release_a04(api: Client, world: World) -> None:
    """The freed booth is offered to the last of Y1-Y4 (the offer's id is the list's to find)."""
    override(api, world, "A04", "release")


def messages_after(api: Client, world: World, path: str, token: str, act: Callable[[], None]) -> None:
    """Do something that makes a message, and wait until it is listed (the notifications learn it by event)."""
    before = {m["id"] for m in api.every(path, token)}
    act()
    eventually(lambda: api.every(path, token), ok=lambda rows: {m["id"] for m in rows} - before)


CASES = [
    Case("series", lambda w: "/v1/series", lambda api, w: None, 2, new_series),
    Case(
        "editions (organiser: drafts too)",
        lambda w: "/v1/editions",
        organiser_of,
        1,
        lambda api, w: [
            make_edition(api, w.series, w.organiser, d, open_it=False) for d in (date(2023, 1, 1), date(2026, 1, 1))
        ],
        params={"series_id": "{series}"},
    ),
    Case("editions (public)", lambda w: "/v1/editions", lambda api, w: None, 1, params={"series_id": "{series}"}),
    Case(
        "participations",
        lambda w: f"/v1/editions/{w.eid}/participations",
        organiser_of,
        3,
        registered,
        params={"role": "exhibitor"},
    ),
    Case(
        "directory",
        lambda w: f"/v1/editions/{w.eid}/directory",
        lambda api, w: None,
        3,
        lambda api, w: [approved(api, w.organiser, w.eid, registration("ha-tinh"))[0]],
        key="participation_id",
    ),
    Case(
        "allocation runs",
        lambda w: f"/v1/editions/{w.eid}/allocations",
        organiser_of,
        1,
        lambda api, w: [ok(api.request("POST", f"/v1/editions/{w.eid}/allocations", w.organiser, json={}), 201)["id"]],
    ),
    Case(
        "booth audit",
        lambda w: f"/v1/editions/{w.eid}/booth-audit",
        organiser_of,
        3,
        lambda api, w: [override(api, w, "A05", "assign", w.exhibitors[0][0])["id"]],
    ),
    Case("booth offers", lambda w: f"/v1/editions/{w.eid}/booth-offers", organiser_of, 1, release_a04),
    Case(
        "livestream slots",
        lambda w: f"/v1/editions/{w.eid}/livestream-slots",
        lambda api, w: None,
        2,
        lambda api, w: [
            book_slot(api, w, w.exhibitors[2], "08:30")["id"],
            book_slot(api, w, w.exhibitors[3], "11:30")["id"],
        ],
    ),
    Case(
        "b2b sessions",
        lambda w: f"/v1/editions/{w.eid}/b2b-sessions",
        lambda api, w: None,
        1,
        lambda api, w: [
            ok(api.request("POST", f"/v1/editions/{w.eid}/b2b-sessions", w.organiser, json=session_body()), 201)["id"]
        ],
    ),
    Case(
        "meetings",
        lambda w: f"/v1/b2b-sessions/{w.sessions[0]}/meetings",
        organiser_of,
        2,
        lambda api, w: [broker(api, w, w.sessions[0], w.exhibitors[3][0], w.buyers[1][0])["id"]],
    ),
    Case(
        "suggestions",
        lambda w: f"/v1/b2b-sessions/{w.sessions[0]}/suggestions/{w.buyers[2][0]}",
        lambda api, w: w.buyers[2][2],
        3,
        lambda api, w: [supplier(api, w.organiser, w.eid, "ha-tinh")[0]],
        key="participation_id",
    ),
    Case(
        "mous (organiser)",
        lambda w: f"/v1/editions/{w.eid}/mous",
        organiser_of,
        1,
        lambda api, w: [mou(api, w, "nghe-an", "ha-tinh")["id"]],
    ),
    Case(
        "mous (a province: those with a party of it)",
        lambda w: f"/v1/editions/{w.eid}/mous",
        lambda api, w: api.token("province", province="nghe-an"),
        1,
        mous_for_nghe_an,
    ),
    Case(
        "delivery log",
        lambda w: f"/v1/editions/{w.eid}/notifications",
        organiser_of,
        7,
        lambda api, w: messages_after(
            api, w, f"/v1/editions/{w.eid}/notifications", w.organiser, lambda: registered(api, w)
        ),
        counted=False,
        settle=20,
    ),
    Case(
        "an organisation's messages",
        lambda w: f"/v1/organisations/{w.exhibitors[2][1]}/notifications",
        lambda api, w: w.exhibitors[2][2],
        1,
        lambda api, w: messages_after(
            api,
            w,
            f"/v1/organisations/{w.exhibitors[2][1]}/notifications",
            w.exhibitors[2][2],
            lambda: broker(api, w, w.sessions[1], w.exhibitors[2][0], w.buyers[1][0]),
        ),
        settle=3,
    ),
]


def walk(api: Client, world: World, case: Case) -> tuple[list[dict], list[str], str | None, list[str] | None]:
    """Every page, following next_cursor; the inserted rows go in after the first page."""
    path, token = case.path(world), case.token(api, world)
    params = {k: v.format(series=world.series) for k, v in case.params.items()}
    pages, seen, cursor, cursor_row, inserted = [], [], None, None, None
    while True:
        page = ok(
            api.request(
                "GET",
                path,
                token,
                params={**params, "limit": str(case.limit), **({"cursor": cursor} if cursor else {})},
            )
        )
        pages.append(page)
        seen += [row[case.key] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return pages, seen, cursor_row, inserted
        if len(pages) == 1 and case.insert:
            cursor_row = seen[-1]
            inserted = case.insert(api, world)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_walk_shows_every_row_once_in_order_and_rows_inserted_meanwhile_shift_no_page(api, world, case):
    path, token = case.path(world), case.token(api, world)
    params = {k: v.format(series=world.series) for k, v in case.params.items()}
    if case.settle:
        settled(api, path, token, case.settle)
    before = [row[case.key] for row in api.every(path, token, params)]
    pages, seen, cursor_row, inserted = walk(api, world, case)
    after = [row[case.key] for row in api.every(path, token, params)]

    assert len(pages) >= 3, (len(before), case.limit)  # the world holds enough rows for a walk
    assert all(len(p["items"]) == case.limit and p["limit"] == case.limit for p in pages[:-1])
    assert 0 < len(pages[-1]["items"]) <= case.limit
    assert len(seen) == len(set(seen))  # no duplicate
    assert set(before) <= set(seen)  # no gap: every row there when the walk began
    assert [row for row in after if row in set(seen)] == seen  # in the list's order
    if inserted is None and case.insert:  # rows made by events: the ones the list gained meanwhile
        inserted = [row for row in after if row not in set(before)]
        assert inserted
    for row in inserted or []:
        assert row in after
        assert (row in seen) == (after.index(row) > after.index(cursor_row)), (row, cursor_row, after)
    if case.counted:
        assert pages[0]["total"] == len(before) and pages[-1]["total"] == len(after)
    else:
        assert all("total" not in p for p in pages)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_bad_limit_is_a_422_on_limit_and_another_list_s_cursor_a_400(api, world, case):
    path, token = case.path(world), case.token(api, world)
    for limit in ("0", "201", "many"):
        refused = api.request("GET", path, token, params={"limit": limit})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["limit"]
    other = "/v1/editions" if case.path(world) == "/v1/series" else "/v1/series"
    foreign = ok(
        api.request(
            "GET",
            other,
            world.organiser,
            params={"limit": "1", "series_id": world.series} if other == "/v1/editions" else {"limit": "1"},
        )
    )["next_cursor"]
    refused = api.request("GET", path, token, params={"cursor": foreign})
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_cursor"), refused.text
    assert refused.json()["errors"][0]["field"] == "cursor"
    assert ok(api.request("GET", path, token))["limit"] == 50


def test_every_list_the_document_declares_is_walked_here(api):
    document = ok(api.request("GET", "/v1/openapi.json"))
    # a list answers a Page, or a typed page of its rows (shared.pages.page_of: "<Item>Page")
    lists = {
        path
        for path, operations in document["paths"].items()
        if (
            operations.get("get", {})
            .get("responses", {})
            .get("200", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref", "")
            .endswith("Page")
        )
    }
    walked = set()
    for case in CASES:
        template = case.path(
            World(
                "{series}",
                "",
                "{edition_id}",
                [("{participation_id}", "{organisation_id}", "")] * 8,
                [("{participation_id}", "", "")] * 3,
                ["{session_id}"] * 3,
            )
        )
        walked.add(template)
    assert walked == lists
