"""Test-wide setup: eventlet first, then the real broker and an embedded store on demand.

nameko 2.14 no longer monkey-patches on import, and the services' code (and
PyMongo's eventlet support) assume a patched process, as under ``nameko
run``.  Green DNS is disabled before eventlet loads: eventlet 0.33's resolver
does not accept the arguments PyMongo passes.

Every store call made by the services during the session (in this process and
in the end-to-end stack's processes, which inherit the environment) has its
shape recorded under ``KETNOI_STORE_SHAPES``; the last test holds the
catalogues (``queries.yaml`` beside each store) to what was recorded.
"""

import os
import tempfile

os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
os.environ.setdefault("KETNOI_STORE_SHAPES", tempfile.mkdtemp(prefix="ketnoi-shapes-"))

import eventlet

eventlet.monkey_patch()

pytest_plugins = ["tests.support.fixtures"]


def pytest_collection_modifyitems(items):
    """Tests marked ``last`` (the catalogue check) run after everything they look back on.

    Tests marked ``late`` (the API fuzzer) run after the ordinary ones, whose timings and
    background work they would otherwise disturb, but before ``last``: what they make the
    services send to the store is checked too.
    """
    items.sort(
        key=lambda item: (item.get_closest_marker("last") is not None, item.get_closest_marker("late") is not None)
    )
