"""aiosmtpd's command line, logging the system's JSON lines: the local SMTP sink of ``make up`` and the tests.

aiosmtpd logs each connection at INFO: only what goes wrong is worth a line of a sink's log.
"""

from __future__ import annotations

from aiosmtpd.main import main as run_sink

from shared.logs import configure

if __name__ == "__main__":
    configure("smtp", "WARNING")
    run_sink()
