"""Log lines: one JSON object each with the common fields; expected errors in one line; the store's chatter
below INFO."""

import io
import json
import logging
import sys

from shared.logs import REQUIRED_KEYS, Demote, ExpectedErrorsInOneLine, JsonLines, configure, scoped


def line(
    message: str,
    *args: object,
    logger: str = "registration.features",
    created: float = 0.0,
    level: int = logging.INFO,
    **extra: object,
) -> logging.LogRecord:
    made = logging.LogRecord(logger, level, __file__, 1, message, args, None)
    made.created = created
    made.__dict__.update(extra)  # as logging does with ``extra=``
    return made


def record(message: str, name: str = "nameko.containers") -> logging.LogRecord:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, ("worker", "boom"), exc_info)


def test_expected_errors_lose_their_traceback_only():
    keep = ExpectedErrorsInOneLine()
    expected = record("(expected) error handling worker %s: %s")
    assert keep.filter(expected) and expected.exc_info is None
    assert logging.Formatter().format(expected).count("\n") == 0

    unexpected = record("error handling worker %s: %s")
    assert keep.filter(unexpected) and unexpected.exc_info is not None
    assert "Traceback" in logging.Formatter().format(unexpected)

    elsewhere = record("(expected) error handling worker %s: %s", name="gateway")
    assert keep.filter(elsewhere) and elsewhere.exc_info is not None


def test_a_line_is_one_json_object_with_the_common_fields_and_the_extras():
    handled = line("handled %s", "rpc", created=1795781839.4921, status="ok", duration_ms=12.5)
    with scoped(request_id="trace-1", handler="registration.decide"):
        text = JsonLines("registration").format(handled)
    assert "\n" not in text
    assert json.loads(text) == {
        "time": "2026-11-27T12:17:19.492Z",
        "level": "INFO",
        "service": "registration",
        "logger": "registration.features",
        "message": "handled rpc",
        "request_id": "trace-1",
        "correlation_id": None,
        "handler": "registration.decide",
        "status": "ok",
        "duration_ms": 12.5,
    }
    assert tuple(json.loads(text))[: len(REQUIRED_KEYS)] == REQUIRED_KEYS


def test_outside_any_work_the_request_fields_are_null_and_text_stays_readable():
    text = JsonLines("gateway").format(line("Hợp tác xã %s", "Cói", level=logging.WARNING))
    parsed = json.loads(text)
    assert (parsed["request_id"], parsed["correlation_id"], parsed["handler"]) == (None, None, None)
    assert parsed["message"] == "Hợp tác xã Cói" and "Hợp tác xã" in text  # UTF-8, not \u escapes
    assert parsed["time"] == "1970-01-01T00:00:00.000Z"


def test_a_traceback_stays_inside_its_line():
    text = JsonLines("booths").format(record("error handling worker %s: %s"))
    assert "\n" not in text
    assert json.loads(text)["exc_info"].startswith("Traceback (most recent call last)")


def test_scopes_nest_and_end():
    with scoped(request_id="outer", handler="a.b"):
        with scoped(correlation_id="c-1") as inner:
            assert (inner.request_id, inner.correlation_id, inner.handler) == ("outer", "c-1", "a.b")
        with scoped(request_id="other"):
            assert json.loads(JsonLines("x").format(line("m")))["request_id"] == "other"
    assert json.loads(JsonLines("x").format(line("m")))["request_id"] is None


def test_the_stores_pings_and_repeated_fallbacks_fall_below_info():
    out = io.StringIO()
    configure("store", "INFO", out)
    store_log = logging.getLogger("test.store")
    store_log.addFilter(Demote(always=("Calling db.command",), repeats=("SQL tier 2 aggregation fallback",)))
    try:
        store_log.info("Calling db.command with: {'ping': 1}")
        store_log.info("Listening on 127.0.0.1:27017")
        for _ in range(3):
            store_log.warning("SQL tier 2 aggregation fallback: $group with an expression key")
        store_log.warning("SQL tier 2 aggregation fallback: another shape")
        store_log.warning("Invalid message length: 3")
    finally:
        logging.getLogger().handlers.clear()
        logging.captureWarnings(False)
    entries = [json.loads(text) for text in out.getvalue().splitlines()]
    assert [(entry["level"], entry["message"]) for entry in entries] == [
        ("INFO", "Listening on 127.0.0.1:27017"),
        ("WARNING", "SQL tier 2 aggregation fallback: $group with an expression key"),  # once, not three times
        ("WARNING", "SQL tier 2 aggregation fallback: another shape"),
        ("WARNING", "Invalid message length: 3"),
    ]
    assert {entry["service"] for entry in entries} == {"store"}


def test_a_repeat_keeps_its_level_again_after_the_window():
    demote = Demote(repeats=("fallback",), window=0.0)
    first, again = (line("fallback", level=logging.WARNING) for _ in range(2))
    assert demote.filter(first) and demote.filter(again)
    assert (first.levelname, again.levelname) == ("WARNING", "WARNING")
