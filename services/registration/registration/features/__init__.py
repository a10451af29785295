"""The registration service's features, one mixin class per module, composed in :mod:`registration.service`.

Each module holds one feature's entrypoints (``@rpc``, ``@timer``) and the
helpers only it uses; nameko finds entrypoints on inherited methods, so the
service class only has to list the mixins.  The mixins are not services
themselves (no ``name``, no dependency providers): they declare with
annotations what they use from the service class and from each other.  Who
may do what is in :mod:`registration.access`; rules without I/O in
:mod:`registration.domain`.

- ``editions``: series, editions, their status and places; whether an edition takes registrations now
- ``organisations``: organisations, delegates, products, and the copies registrations keep of them
- ``forms``: the public registration form, all or nothing, and finishing one cut off half-way
- ``claims``: a form naming an organisation on file waits for that organisation to confirm or decline it
- ``participations``: applying, decisions (one or many), places and the waitlist, reading one registration
- ``listings``: an edition's registrations for organisers and provinces, the public directory, export, stats
- ``checkin``: badges and scanning them at the gate
- ``open_data``: an edition's participation counts, public once it is over
- ``reference``: what forms offer (provinces of a day, kinds, roles, sectors, OCOP), from the validators' tables
- ``upkeep``: timers finishing work cut off half-way, reconciling places, refreshing gauges
"""
