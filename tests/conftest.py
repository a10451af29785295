"""Test-wide setup: eventlet first, then the real broker and an embedded store on demand.

nameko 2.14 no longer monkey-patches on import, and the services' code (and
PyMongo's eventlet support) assume a patched process, as under ``nameko
run``.  Green DNS is disabled before eventlet loads: eventlet 0.33's resolver
does not accept the arguments PyMongo passes.
"""

import os

os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

import eventlet

eventlet.monkey_patch()

pytest_plugins = ["tests.support.fixtures"]
