"""The notifications service's entrypoints, one mixin per feature, composed in :mod:`notifications.service`.

- ``facts``: what the other services' events tell us (editions, contacts, participations, placed meetings)
  and the reminders they arm;
- ``telling``: one message per delegate and channel for every event that tells someone something;
- ``upkeep``: the timers that send what is due, fire reminders and refresh the gauges;
- ``log``: the delivery log, resending a dead-lettered message, an organisation's messages;
- ``preferences``: a delegate's channels and the unsubscribe link.
"""
