"""The meetings service's features, one mixin class per module, composed in :mod:`meetings.service`.

Each module holds one feature's entrypoints (``@rpc``, ``@event_handler``,
``@timer``) and the helpers only it uses; nameko finds entrypoints on
inherited methods, so the service class only has to list the mixins.  The
mixins are not services themselves (no ``name``, no dependency providers):
they declare with annotations what they use from the service class.  Who may
do what is in :mod:`meetings.access`; rules without I/O in
:mod:`meetings.domain`.

- ``intake``: what registration's events tell us (editions, organisations, participants)
- ``sessions``: B2B sessions, suppliers' own tables, participants' availability, the planning aid
- ``time_away``: periods a participant is away during the edition (booth duty…), for every session
- ``matchmaking``: profiles and suggestions
- ``requests``: asking, brokering, answering and calling off meetings; reading them
- ``upkeep``: timers (expiry, hold sweep and restore, counter repair, gauges)
- ``timetable``: locks and the optimiser's runs, at once or as a background job
- ``agendas``: publishing, each participant's agenda (JSON, iCalendar, print), table sheets
- ``day``: live status and outcomes on the day
- ``mous``: MOUs and their statistics
- ``open_data``: meetings and MOUs counted for an edition's open data
"""
