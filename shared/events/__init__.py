"""Integration events: envelope, catalogue, outbox relay, topology and consumers.

Events are the product's contract with the other services and with the
provinces.  The flow is: a service stages events in the outbox of the very
document it changes (one atomic write), the relay publishes them with
publisher confirms and then clears them, and consumers deduplicate by event
id, retry with backoff and dead-letter what keeps failing.
"""
