"""Expected errors log one line; unexpected ones keep their traceback."""

import logging
import sys

from shared.logs import ExpectedErrorsInOneLine


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
