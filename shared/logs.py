"""Log filters every service's ``LOGGING`` config uses.

nameko logs an *expected* exception (a caller's 4xx, an event that must wait
for another one) as a warning **with its traceback**: one bad form, or one
notification waiting a second for its contacts, filled the log with stack
traces that point at no bug.  Expected errors keep their one line; unexpected
ones keep their traceback.
"""

from __future__ import annotations

import logging

EXPECTED_PREFIX = "(expected) error handling worker"


class ExpectedErrorsInOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "nameko.containers" and str(record.msg).startswith(EXPECTED_PREFIX):
            record.exc_info = None
            record.exc_text = None
        return True
