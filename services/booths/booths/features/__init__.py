"""The booths service's features, one mixin class per module, composed into :class:`booths.service.BoothsService`.

- ``intake``: registration's events (editions, approved and cancelled exhibitors, organisation names).
- ``plans``: floor-plan import and exports (plan, CSV, the assignments sheet) and the booth rules.
- ``applications``: an exhibitor's booth application and its own view of it.
- ``allocation``: dry runs, reading them, committing one.
- ``claims``: first come, first served claims after the allocation is committed.
- ``offers``: freed booths offered to the waitlist, replies, expiry.
- ``overrides``: organisers assigning, moving or releasing booths on the record, and the audit trail.
- ``livestream``: time slots on livestream studios.
- ``open_data``: the floor counted for an edition's open data.
- ``upkeep``: timers that finish work cut off half-way, repair counters and refresh gauges.

The mixins are not nameko services (no ``name``); each declares with type
annotations the dependencies and the other features' helpers it uses, which
the service class provides.
"""
