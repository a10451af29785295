"""The embedded store (nx-27017) as ``make up`` and the tests run it, logging the system's JSON lines.

nx-27017 logs every command it answers at INFO (a ``ping`` each time a
service checks the store: every readiness probe), and a WARNING each time an
aggregation falls back from SQL to Python, which a timer can make happen on
every pass.  Pings are DEBUG here (``KETNOI_STORE_LOG_LEVEL=DEBUG`` shows them); a fallback keeps its WARNING the first
time in an hour and is DEBUG when it repeats.  Its own log file is not
written: what it logs is in the process's output, with everything else.
Runs in the store's virtualenv (``.venv-store``), which has what
:mod:`shared.logs` needs and nothing of the services.
"""

from __future__ import annotations

import logging
import os
import sys

from nx_27017.nx_27017 import main as run_store

from shared.logs import Demote, configure

NOISE = {
    "nx_27017": Demote(
        always=("Calling db.command with", "NeoSQLite returned", "Command response", "Accepted connection")
    ),
    "neosqlite.collection.query_engine": Demote(repeats=("SQL tier",)),
    "neosqlite.collection.temporary_table_aggregation.manager": Demote(repeats=("Temporary table aggregation",)),
}


def main() -> None:
    """``python -m scripts.store_server --data-dir D --port P --pid-file F``: nx-27017's own options."""
    configure("store", os.environ.get("KETNOI_STORE_LOG_LEVEL") or os.environ.get("KETNOI_LOG_LEVEL", "INFO"))
    for name, demote in NOISE.items():
        logging.getLogger(name).addFilter(demote)
    sys.argv = ["nx-27017", *sys.argv[1:], "--log-file", os.devnull]
    run_store()


if __name__ == "__main__":
    main()
