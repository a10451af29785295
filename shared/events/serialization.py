"""Events travel as structured-mode CloudEvents (``application/cloudevents+json``).

Registering the content type with kombu lets nameko consumers accept it and
tells consumers in any other language exactly what the body is.
"""

from __future__ import annotations

import json

from kombu.serialization import register

CLOUDEVENTS_SERIALIZER = "cloudevents"
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
CLOUDEVENTS_CONTENT_ENCODING = "utf-8"


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


register(
    CLOUDEVENTS_SERIALIZER,
    _dumps,
    json.loads,
    content_type=CLOUDEVENTS_CONTENT_TYPE,
    content_encoding=CLOUDEVENTS_CONTENT_ENCODING,
)
