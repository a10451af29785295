"""Inspect and replay dead-lettered events: ``python -m shared.events.deadletters``.

``list QUEUE`` prints what is parked in ``QUEUE.dead`` with the last error;
``replay QUEUE`` moves every parked message back to the handler's queue with a
fresh attempt count, once the cause has been fixed.  Replay moves what was
parked when it started (a snapshot), each message once, byte for byte: a
message that is still bad is parked again by its consumer, after the replay.
"""

from __future__ import annotations

import argparse
import json

from kombu import Connection, Queue

from shared.config import settings
from shared.events.consumer import ATTEMPT_HEADER


def _dead(queue: str) -> Queue:
    """The existing dead-letter queue; never declared here, so a typo creates nothing."""
    return Queue(f"{queue}.dead", durable=True, no_declare=True)


def parked(queue: str) -> list[dict]:
    """Every message in ``queue.dead`` (left in place)."""
    found = []
    with Connection(settings().amqp_uri) as connection:
        simple = connection.SimpleQueue(_dead(queue), no_ack=False)
        messages = []
        try:
            while True:
                message = simple.get(block=False)
                messages.append(message)
                found.append({"headers": message.headers, "event": _readable(message)})
        except simple.Empty:
            pass
        for message in messages:
            message.requeue()
        simple.close()
    return found


def _readable(message):
    """The parked event, or its raw text when it never was a readable event (what was parked as such)."""
    try:
        payload = message.payload
    except Exception:
        payload = None
    if isinstance(payload, dict):
        return payload
    return {
        "undecodable": message.body.decode("utf-8", "replace")
        if isinstance(message.body, bytes)
        else str(message.body),
        "content_type": message.content_type,
    }


def replay(queue: str) -> int:
    """Move what is parked now back to ``queue``; return how many moved."""
    moved = 0
    # publisher confirms: a parked message is acked (gone from the dead-letter queue) only once the broker
    # has taken its copy back on the handler's queue
    with Connection(settings().amqp_uri, transport_options={"confirm_publish": True}) as connection:
        snapshot = _dead(queue)(connection.default_channel).queue_declare(passive=True).message_count
        simple = connection.SimpleQueue(_dead(queue), no_ack=False)
        producer = connection.Producer()
        try:
            while moved < snapshot:
                message = simple.get(block=False)
                headers = {k: v for k, v in (message.headers or {}).items() if k != ATTEMPT_HEADER}
                producer.publish(
                    message.body,
                    exchange="",
                    routing_key=queue,
                    headers=headers,
                    delivery_mode=2,
                    retry=True,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    message_id=message.properties.get("message_id"),
                )
                message.ack()
                moved += 1
        except simple.Empty:
            pass
        simple.close()
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("queue", help="handler queue, e.g. ketnoi.notifications.on_participation_approved")
    args = parser.parse_args()
    if args.action == "list":
        for item in parked(args.queue):
            print(json.dumps(item, ensure_ascii=False, default=str))
    else:
        print(f"replayed {replay(args.queue)} message(s)")


if __name__ == "__main__":
    main()
