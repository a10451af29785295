import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import jinja2
import jinja2.meta
import pytest

from notifications.domain.formatting import format_date, format_datetime, format_money, format_timespan, parse_moment
from notifications.domain.rendering import (
    ESSENTIAL,
    LANGUAGES,
    OPTIONAL_CONTEXT,
    PARTS,
    SHORT_LIMIT,
    TEMPLATE_DIR,
    TEMPLATES,
    MissingContext,
    choose_language,
    environment,
    render,
)

EVIL = "Công ty <script>alert('x')</script> & Cộng sự"
MEETINGS = [
    {
        "starts_at": "2025-07-10T07:00:00.000000Z",
        "ends_at": "2025-07-10T07:20:00.000000Z",
        "table": "T07",
        "counterpart_name": "Công ty Thực phẩm Sao Mai",
    },
    {
        "starts_at": "2025-07-10T07:20:00.000000Z",
        "ends_at": "2025-07-10T07:40:00.000000Z",
        "table": "T03",
        "counterpart_name": "HTX Nông nghiệp Quảng Xương",
    },
]
VALUES = {
    "organisation_name": "Hợp tác xã Nông sản Thọ Xuân",
    "edition_title": "Hội nghị kết nối cung cầu Thanh Hóa 2025",
    "role": "exhibitor",
    "promoted_from_waitlist": False,
    "reason": "Hồ sơ còn thiếu giấy chứng nhận OCOP",
    "booth_code": "B12",
    "zone": "A",
    "expires_at": "2025-07-08T10:00:00.000000Z",
    "session_name": "Nông sản – Chế biến",
    "counterpart_name": "Công ty Thực phẩm Sao Mai",
    "note": "Chúng tôi cần 200 tấn gạo ST25 mỗi tháng.",
    "respond_by": "2025-07-09T17:00:00+07:00",
    "starts_at": "2025-07-10T07:00:00.000000Z",
    "ends_at": "2025-07-10T07:20:00.000000Z",
    "table": "T07",
    "previous_starts_at": "2025-07-10T03:00:00.000000Z",
    "previous_table": "T02",
    "stage": "final",
    "meetings": MEETINGS,
    "gate": "Cổng A",
    "at": "2025-07-10T01:05:00.000000Z",
    "starts_on": "2025-07-10",
    "venue": "Cung Văn hóa – Thể thao Thanh Hóa",
    "proposed_delegates": [{"name": "Lê Văn Tâm", "email": "tam@example.vn"}],
    "confirm_url": "https://ketnoi.vn/v1/registration-claims/clm_1?token=1767225600.abc",
}
UNSUBSCRIBE = "https://ketnoi.vn/unsubscribe/abc.def?x=1&y=2"


def context_for(key: str, **overrides) -> dict:
    meta = TEMPLATES[key]
    context = {name: VALUES[name] for name in meta.context}
    if not meta.essential:
        context["unsubscribe_url"] = UNSUBSCRIBE
    context.update(overrides)
    return context


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- every template, both languages -----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_renders(key, language):
    rendered = render(key, language, context_for(key))
    assert rendered.language == language
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in rendered.html
    assert rendered.text.strip() and rendered.short
    assert len(rendered.short) <= SHORT_LIMIT
    assert "\n" not in rendered.short
    signature = "Ban Tổ chức hội nghị" if language == "vi" else "The conference organisers"
    assert signature in rendered.text and signature in rendered.html
    for part in (rendered.subject, rendered.text, rendered.html, rendered.short):
        assert "Undefined" not in part and "None" not in part and "{{" not in part and "{%" not in part


def test_templates_on_disk_match_the_table():
    on_disk = {path.name.removesuffix(".j2") for path in (TEMPLATE_DIR / "vi").glob("*.j2")} - {"_layout"}
    assert on_disk == set(TEMPLATES)
    for language in LANGUAGES:
        names = {path.name for path in (TEMPLATE_DIR / language).glob("*.j2")}
        assert names == {f"{key}.j2" for key in TEMPLATES} | {"_layout.j2"}, language
        env = environment(language, html=False)
        for key in TEMPLATES:
            template = env.get_template(f"{language}/{key}.j2")
            assert {"subject", "text", "html", "sms"} <= set(template.blocks), (language, key)


def test_declared_context_is_exactly_what_the_templates_use():
    for language in LANGUAGES:
        env = environment(language, html=False)
        layout_source = (TEMPLATE_DIR / language / "_layout.j2").read_text("utf-8")
        layout_vars = jinja2.meta.find_undeclared_variables(env.parse(layout_source))
        assert layout_vars == {"part", "essential", "unsubscribe_url", *OPTIONAL_CONTEXT}
        for key, meta in TEMPLATES.items():
            source = (TEMPLATE_DIR / language / f"{key}.j2").read_text("utf-8")
            used = jinja2.meta.find_undeclared_variables(env.parse(source)) - set(OPTIONAL_CONTEXT)
            assert used == set(meta.context), (language, key)


def test_every_part_differs_by_language():
    for key in TEMPLATES:
        vi, en = render(key, "vi", context_for(key)), render(key, "en", context_for(key))
        assert vi.subject != en.subject and vi.text != en.text and vi.short != en.short, key


def test_vietnamese_reads_as_vietnamese():
    rendered = render("participation.approved", "vi", context_for("participation.approved"))
    assert rendered.subject == "Đăng ký tham gia Hội nghị kết nối cung cầu Thanh Hóa 2025 đã được duyệt"
    assert "Kính gửi Hợp tác xã Nông sản Thọ Xuân," in rendered.text
    assert "với vai trò đơn vị trưng bày đã được duyệt" in rendered.text
    promoted_context = context_for("participation.approved", promoted_from_waitlist=True)
    promoted = render("participation.approved", "vi", promoted_context)
    assert "danh sách chờ" in promoted.text and "danh sách chờ" in promoted.short
    assert "danh sách chờ" not in rendered.short


# -- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["fr", "", None, "zh-CN", "vietnamese", "VI", "vi-VN"])
def test_vietnamese_is_the_default(asked):
    assert choose_language(asked) == "vi"
    rendered = render("meeting.declined", asked, context_for("meeting.declined"))
    assert rendered.language == "vi"
    assert rendered.subject == "Công ty Thực phẩm Sao Mai chưa thể nhận lời gặp kết nối"


@pytest.mark.parametrize("asked", ["en", "EN", "en-GB", "en_US"])
def test_english_by_primary_subtag(asked):
    assert render("meeting.declined", asked, context_for("meeting.declined")).language == "en"


# -- dates and money --------------------------------------------------------------------------


def test_datetimes_are_shown_in_vietnam_with_their_zone():
    assert format_datetime("2025-07-10T07:00:00.000000Z", "vi") == "14:00, thứ Năm 10/07/2025 (giờ Việt Nam, UTC+7)"
    assert format_datetime("2025-07-10T07:00:00Z", "en") == "Thursday 10 July 2025, 14:00 (UTC+07:00)"
    # an offset elsewhere is converted, not shown as given
    assert format_datetime("2025-07-10T09:00:00+02:00", "vi").startswith("14:00, thứ Năm 10/07/2025")
    # late on Sunday UTC is Monday morning in Vietnam
    assert format_datetime("2025-07-06T20:30:00Z", "vi") == "03:30, thứ Hai 07/07/2025 (giờ Việt Nam, UTC+7)"
    assert format_datetime(datetime(2025, 7, 13, 2, 0, tzinfo=UTC), "vi").startswith("09:00, Chủ nhật 13/07")
    assert format_timespan("2025-07-10T07:00:00Z", "2025-07-10T07:20:00Z", "en") == (
        "Thursday 10 July 2025, 14:00–14:20 (UTC+07:00)"
    )


def test_dates():
    assert format_date("2025-07-10", "vi") == "10/07/2025"
    assert format_date("2025-07-10", "en") == "10 July 2025"
    assert format_date(date(2025, 7, 10), "vi", weekday=True) == "thứ Năm 10/07/2025"
    assert format_date("2025-07-09T18:30:00Z", "vi") == "10/07/2025"  # already the 10th in Vietnam


def test_a_time_without_zone_is_refused():
    with pytest.raises(ValueError):
        parse_moment("2025-07-10T14:00:00")
    with pytest.raises(ValueError):
        format_datetime("2025-07-10", "vi")
    with pytest.raises(TypeError):
        format_datetime(None, "vi")


MOMENTS = {"starts_at", "expires_at", "respond_by", "at"}
TIMED = sorted(key for key, meta in TEMPLATES.items() if MOMENTS & set(meta.context))
CLOCK = re.compile(r"(?<!\+)\b\d{2}:\d{2}(?:–\d{2}:\d{2})?\b")


@pytest.mark.parametrize("key", TIMED)
def test_every_time_shown_carries_its_zone(key):
    for language, label in (("vi", "(giờ Việt Nam, UTC+7)"), ("en", "(UTC+07:00)")):
        rendered = render(key, language, context_for(key))
        for part in (rendered.subject, rendered.text, visible(rendered.html), rendered.short):
            clocks = list(CLOCK.finditer(part))
            assert clocks or part == rendered.subject, (key, language, part)
            for clock in clocks:
                assert label in part[clock.end() : clock.end() + 50], (key, language, part[clock.start() :][:80])


def test_a_claim_asks_for_confirmation_and_says_nothing_was_registered():
    """Tax codes are public: the organisation's contacts hear of a form in their name, and that it does nothing
    unless they confirm; the link is in the text and the HTML."""
    for language, nothing in (("vi", "Chưa có đăng ký nào được tạo"), ("en", "Nothing has been registered")):
        rendered = render("registration.claim_requested", language, context_for("registration.claim_requested"))
        assert nothing in rendered.text and nothing in visible(rendered.html)
        assert VALUES["confirm_url"] in rendered.text
        assert f'href="{VALUES["confirm_url"]}"' in rendered.html
        assert "Lê Văn Tâm <tam@example.vn>" in rendered.text and "received" not in rendered.text


def test_offer_deadline_is_prominent():
    rendered = render("booth.offer_made", "vi", context_for("booth.offer_made"))
    deadline = "17:00, thứ Ba 08/07/2025 (giờ Việt Nam, UTC+7)"
    assert deadline in rendered.subject and deadline in rendered.text and deadline in rendered.short
    assert f"Hạn xác nhận: {deadline}" in visible(rendered.html)


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (1250000000, "VND", "vi", "1.250.000.000 ₫"),
        (1250000000, "VND", "en", "VND 1,250,000,000"),
        ("1250000000", "vnd", "vi", "1.250.000.000 ₫"),
        (Decimal("999.6"), "VND", "vi", "1.000 ₫"),
        (0, "VND", "vi", "0 ₫"),
        (-2500000, "VND", "vi", "-2.500.000 ₫"),
        (12500, "USD", "vi", "12.500 USD"),
        (12500, "USD", "en", "USD 12,500"),
        ("12500.5", "USD", "vi", "12.500,50 USD"),
        (12500.5, "USD", "en", "USD 12,500.50"),
    ],
)
def test_money(amount, currency, language, expected):
    assert format_money(amount, currency, language) == expected


def test_money_refuses_non_amounts():
    for bad in ("abc", None, True, float("nan")):
        with pytest.raises((ValueError, TypeError)):
            format_money(bad)


# -- escaping, unsubscribe, strictness --------------------------------------------------------


def test_html_escapes_what_users_typed_and_text_keeps_it_readable():
    context = context_for("meeting.requested", counterpart_name=EVIL, note="<b>gấp</b> & nhanh")
    rendered = render("meeting.requested", "vi", context)
    assert "<script>" not in rendered.html and "<b>gấp" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Cộng sự" in rendered.html
    assert "&lt;b&gt;gấp&lt;/b&gt; &amp; nhanh" in rendered.html
    assert EVIL in rendered.text and EVIL in rendered.subject and EVIL in rendered.short
    assert "<b>gấp</b> & nhanh" in rendered.text
    greeted = render("participation.submitted", "en", context_for("participation.submitted", organisation_name=EVIL))
    assert "<script>" not in greeted.html and f"Dear {EVIL}," in greeted.text


def test_optional_note_and_reason():
    without = render("meeting.requested", "vi", context_for("meeting.requested", note=None))
    assert "Lời nhắn" not in without.text
    assert "Lời nhắn kèm theo:" in render("meeting.requested", "vi", context_for("meeting.requested")).text
    rejected = render("participation.rejected", "en", context_for("participation.rejected", reason=None))
    assert "Reason" not in rejected.text
    cancelled = render("meeting.cancelled", "vi", context_for("meeting.cancelled", starts_at=None))
    assert "trước khi được xếp lịch" in cancelled.text and ":" not in cancelled.short


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_unsubscribe_link_only_in_non_essential(key):
    essential = key in ESSENTIAL
    assert essential == TEMPLATES[key].essential
    for language in LANGUAGES:
        if essential:
            rendered = render(key, language, context_for(key))
            assert "unsubscribe" not in rendered.text.lower() and "unsubscribe" not in rendered.html.lower()
        else:
            rendered = render(key, language, context_for(key))
            assert UNSUBSCRIBE in rendered.text
            assert f'href="{UNSUBSCRIBE.replace("&", "&amp;")}"' in rendered.html
            with pytest.raises(jinja2.UndefinedError):
                render(key, language, {k: v for k, v in context_for(key).items() if k != "unsubscribe_url"})


def test_only_reminders_and_agendas_are_non_essential():
    assert set(TEMPLATES) - ESSENTIAL == {"agenda.published", "reminder.edition_tomorrow", "reminder.meeting_soon"}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_a_missing_variable_is_an_error(key):
    for name in TEMPLATES[key].context:
        context = context_for(key)
        del context[name]
        with pytest.raises(jinja2.UndefinedError, match=name):
            render(key, "en", context)


def test_strict_undefined_reaches_into_templates():
    assert environment("vi", html=True).undefined is jinja2.StrictUndefined
    broken = [{k: v for k, v in MEETINGS[0].items() if k != "table"}]
    with pytest.raises(jinja2.UndefinedError):
        render("agenda.published", "vi", context_for("agenda.published", meetings=broken))
    with pytest.raises(MissingContext):
        render("checkin.recorded", "vi", {"edition_title": "X", "gate": "A"})


def test_reserved_names_and_unknown_keys():
    with pytest.raises(ValueError):
        render("meeting.declined", "vi", {"counterpart_name": "X", "essential": False})
    with pytest.raises(KeyError):
        render("meeting.nonexistent", "vi", {})


def test_recipient_name_greets_by_name():
    rendered = render("meeting.accepted", "vi", context_for("meeting.accepted", recipient_name="Chị Lê Thị Hoa"))
    assert rendered.text.startswith("Kính gửi Chị Lê Thị Hoa,")
    assert render("meeting.accepted", "en", context_for("meeting.accepted")).text.startswith("Dear participant,")


def test_agenda_lists_meetings_and_handles_none():
    rendered = render("agenda.published", "vi", context_for("agenda.published", stage="preliminary"))
    assert "- 14:00–14:20, thứ Năm 10/07/2025 (giờ Việt Nam, UTC+7) – bàn T07 – Công ty Thực phẩm Sao Mai" in (
        rendered.text
    )
    assert "lịch dự kiến" in rendered.text and rendered.subject.startswith("Lịch gặp dự kiến")
    assert rendered.html.count("<tr") == 3
    empty = render("agenda.published", "en", context_for("agenda.published", meetings=[]))
    assert "no B2B meetings yet" in empty.text and "no meetings yet" in empty.short


def test_short_text_is_cut_to_the_limit():
    long_reason = "Hồ sơ chưa đầy đủ. " * 60
    rendered = render("participation.rejected", "vi", context_for("participation.rejected", reason=long_reason))
    assert len(rendered.short) <= SHORT_LIMIT and rendered.short.endswith("…")
    assert long_reason.strip() in rendered.text  # e-mail keeps it whole
    many = [dict(MEETINGS[0], table=f"T{i:02d}") for i in range(40)]
    agenda = render("agenda.published", "vi", context_for("agenda.published", meetings=many))
    assert len(agenda.short) <= SHORT_LIMIT and "40 cuộc gặp" in agenda.short


def test_parts_listed():
    assert PARTS == ("subject", "text", "html", "sms")
    assert all(meta.key == key for key, meta in TEMPLATES.items())
    assert timedelta(hours=7) == parse_moment("2025-07-10T14:00:00+07:00").utcoffset()
