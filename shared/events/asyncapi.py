"""The public event contract as an AsyncAPI 3.0 document: ``python -m shared.events.asyncapi [--json]``.

Generated from what the code uses, so it cannot drift from it: the catalogue (types, producers, routing), the
schema files (each type's ``data``), the routing keys (:mod:`shared.events.routing`, with the 2025 provinces
of :mod:`shared.reference.provinces`), the envelope (:mod:`shared.events.envelope`) and the content type
(:mod:`shared.events.serialization`); the release it describes comes from :mod:`shared.events.compat`.  The
gateway serves it (``GET /v1/asyncapi.json``); ``events/asyncapi.yaml`` is the same document, committed so
that a change of the contract shows in review (a test keeps it current).

It describes a province's consumer, so its operations *receive*, and only public types: internal ones never
reach ``ketnoi.public``.  Each public type is one channel, ``{province}.<type>``, whose ``province``
parameter lists the keys that type can be published under.  The ``data`` schemas are the files'
(JSON Schema 2020-12) without ``$schema``: AsyncAPI's Schema Object is draft-07, and the files use only
keywords that mean the same in both (checked here, so a new keyword is a decision, not a silent change).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from typing import Any

import yaml

from shared.events.catalogue import NATIONAL, EventType, catalogue, catalogue_dir, public_types
from shared.events.compat import last_release, unchanged_since
from shared.events.envelope import DATA_CONTENT_TYPE, SPEC_VERSION, source_of
from shared.events.serialization import CLOUDEVENTS_CONTENT_ENCODING, CLOUDEVENTS_CONTENT_TYPE
from shared.reference.provinces import MERGER_DATE, provinces_on

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"
# production's exchange (shared.events.topology, without KETNOI_PUBLIC_EXCHANGE: the document needs no settings
# and no secrets to be built), virtual host and port (docker-compose.yml, k8s/config.yaml); tests hold them to those
PUBLIC_EXCHANGE = {"name": "ketnoi.public", "type": "topic", "durable": True, "autoDelete": False}
PRODUCTION_VHOST = "ketnoi"
AMQP_PORT = "5672"
# JSON Schema keywords with the same meaning in draft-07 and 2020-12: the schema files may use these only
SHARED_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
    }
)
# keywords whose value is a map of names to schemas, not a schema of its own
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})


class UnportableSchema(Exception):
    """A schema file uses a keyword that draft-07 reads differently or not at all."""


def _check_keywords(schema: Any, where: str) -> None:
    if isinstance(schema, list):
        for item in schema:
            _check_keywords(item, where)
    if not isinstance(schema, dict):
        return
    unknown = sorted(set(schema) - SHARED_KEYWORDS)
    if unknown:
        raise UnportableSchema(
            f"{where}: {', '.join(unknown)} is not read the same by draft-07 (AsyncAPI's Schema "
            "Object): describe it with keywords both drafts share, or teach shared.events.asyncapi"
        )
    for keyword, value in schema.items():
        if keyword in _SCHEMA_MAPS:
            for name, sub in value.items():
                _check_keywords(sub, f"{where}/{keyword}/{name}")
        elif keyword not in ("enum", "const", "examples", "default", "required"):
            _check_keywords(value, f"{where}/{keyword}")


def data_schema(spec: EventType) -> dict[str, Any]:
    """The schema file of ``spec``, as an AsyncAPI Schema Object (without ``$schema``; ``$id`` kept)."""
    schema = json.loads((catalogue_dir() / spec.schema_file).read_text(encoding="utf-8"))
    _check_keywords(schema, spec.schema_file)
    return {k: v for k, v in schema.items() if k != "$schema"}


def province_keys() -> list[str]:
    """The first word of every routing key on ``ketnoi.public``: the 34 units since 2025-07-01, then national."""
    return [*sorted(provinces_on(MERGER_DATE)), NATIONAL]


def routed_to(spec: EventType) -> str:
    """What decides the first word of the type's routing key, in words (the rule of shared.events.routing)."""
    routing = spec.routing or NATIONAL  # every public type has one (tests/unit/test_event_routing.py)
    if routing == NATIONAL:
        return "Always `national`: this type concerns no single province."
    if routing.startswith("parties[]."):
        field = routing.removeprefix("parties[].")
        return (
            f"Published once per province named by `data.parties[].{field}` (the unit it belongs to since "
            "2025-07-01), each copy the same event with the same `id`; `national` when no party has a "
            "province."
        )
    return (
        f"The province in `data.{spec.routing}` (the unit it belongs to since 2025-07-01, so an "
        "organisation of `quang-binh` is `quang-tri`); `national` when it is null (a foreign organisation)."
    )


def envelope(spec: EventType, title: str) -> dict[str, Any]:
    """The message body: one structured-mode CloudEvent of ``spec``'s type, as make_event builds it.

    Titled, as its headers are, so that code generators name their classes after the type.
    """
    return {
        "title": f"{title} event",
        "type": "object",
        "description": "A CloudEvents 1.0 event in structured mode. Extension attributes may be added: ignore "
        "those you do not know.",
        "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"const": SPEC_VERSION},
            "id": {
                "type": "string",
                "minLength": 1,
                "description": "UUID of this event, the same in every redelivery and in every copy: deduplicate by it.",
            },
            "source": {"const": source_of(spec.producer), "description": "The producing service."},
            "type": {"const": spec.type},
            "subject": {
                "type": "string",
                "minLength": 1,
                "description": "The resource, e.g. `participations/<id>`, `editions/<id>`.",
            },
            "time": {
                "type": "string",
                "format": "date-time",
                "description": "When the event was built (RFC 3339, UTC).",
            },
            "datacontenttype": {"const": DATA_CONTENT_TYPE},
            "data": {"$ref": f"#/components/schemas/{spec.type}"},
            "correlationid": {
                "type": "string",
                "minLength": 1,
                "description": "Extension: the X-Request-ID of the request that caused the change "
                "(absent when a timer caused it). Quote it when you report a "
                "problem.",
            },
        },
    }


def headers(spec: EventType, title: str) -> dict[str, Any]:
    """The AMQP application headers the relays set (shared.events.publisher)."""
    return {
        "title": f"{title} headers",
        "type": "object",
        "required": ["ce-type", "ce-id"],
        "properties": {
            "ce-type": {"const": spec.type, "description": "The event's `type`."},
            "ce-id": {"type": "string", "minLength": 1, "description": "The event's `id`."},
        },
    }


def message(spec: EventType, title: str) -> dict[str, Any]:
    return {
        "name": spec.type,
        "title": title,
        "summary": spec.description,
        "description": (
            f"AMQP properties: content type `{CLOUDEVENTS_CONTENT_TYPE}`, content encoding "
            f"`{CLOUDEVENTS_CONTENT_ENCODING}`, `message_id` the event's `id`, `correlation_id` its "
            "`correlationid` (when it has one), delivery mode 2 (persistent)."
        ),
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "headers": headers(spec, title),
        "payload": envelope(spec, title),
        "correlationId": {"$ref": "#/components/correlationIds/request"},
        "tags": [{"name": spec.producer}],
        "bindings": {"$ref": "#/components/messageBindings/cloudEvent"},
    }


def channel(spec: EventType, title: str) -> dict[str, Any]:
    parameter = "national" if spec.routing == NATIONAL else "province"
    return {
        "address": f"{{province}}.{spec.type}",
        "title": title,
        "description": f"Routing key `<province>.{spec.type}`. {routed_to(spec)}",
        "parameters": {"province": {"$ref": f"#/components/parameters/{parameter}"}},
        "messages": {spec.type: {"$ref": f"#/components/messages/{spec.type}"}},
        "bindings": {"$ref": "#/components/channelBindings/publicExchange"},
    }


def operation(spec: EventType, title: str) -> dict[str, Any]:
    return {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{spec.type}"},
        "messages": [{"$ref": f"#/channels/{spec.type}/messages/{spec.type}"}],
        "summary": title,
        "description": spec.description,
        "tags": [{"name": spec.producer}],
        "bindings": {"$ref": "#/components/operationBindings/acknowledge"},
    }


def contract_version() -> str:
    """The release whose snapshot (events/released/) these types are, ``+unreleased`` if they changed since."""
    release = last_release()
    return release.version if unchanged_since(release) else f"{release.version}+unreleased"


INFO = """\
Public events of ketnoi, the backend of Vietnam's supply–demand connection conferences: series, editions,
organisations, products, participations, booths, B2B sessions and MOUs. This document describes **your
province's consumer**: what it receives. Integration guide: `events/README.md`.

- Every message is one CloudEvents 1.0 event in structured mode (`application/cloudevents+json`, UTF-8), on
  the durable topic exchange `ketnoi.public`.
- The routing key is `<province>.<event type>`: one of the 34 units since 2025-07-01 (an older unit's events
  under its successor) or `national` for events about no single province. Your credentials bind only
  `<your province>.…` and `national.…`, e.g. `quang-tri.#` and `national.#`.
- At least once, in no guaranteed order: deduplicate by `id`; edition, organisation and participation events
  carry `version`, which rises with every change.
- Versioning: a type only grows within its version (new optional fields, new values); anything else is a new
  type (`….v2`) published beside it. Ignore what you do not know.
- No public event carries a person: no names, e-mails or phones of people, no tax codes, and no name for a
  household business."""


@cache
def document() -> dict[str, Any]:
    """The whole document (built once per process: its inputs change only with a deployment)."""
    titles = {t: data_schema(catalogue()[t]).get("title", t) for t in public_types()}
    specs = [catalogue()[t] for t in public_types()]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "ketnoi public events",
            "version": contract_version(),
            "description": INFO,
            "tags": [
                {"name": producer, "description": f"Produced by the {producer} service."}
                for producer in sorted({s.producer for s in specs})
            ],
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "production": {
                "host": "{host}:{port}",
                "pathname": "/{vhost}",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "title": "ketnoi's RabbitMQ",
                "description": "Ask ketnoi's operators for your province's credentials: the user "
                "`province.<your province>`, its password, the broker's host and port and the "
                "virtual host. Declare a durable queue named `province.<your province>.<anything>` "
                "(no other name, and no server-named queue), bind it to `ketnoi.public` with your "
                "keys, and acknowledge each message once you have processed it.",
                "variables": {
                    "host": {"description": "The broker's host, given with your credentials."},
                    "port": {"default": AMQP_PORT, "description": "AMQP 0-9-1 port."},
                    "vhost": {"default": PRODUCTION_VHOST, "description": "The virtual host."},
                },
                "security": [{"$ref": "#/components/securitySchemes/provinceUser"}],
            },
        },
        "channels": {s.type: channel(s, titles[s.type]) for s in specs},
        "operations": {f"receive.{s.type}": operation(s, titles[s.type]) for s in specs},
        "components": {
            "schemas": {s.type: data_schema(s) for s in specs},
            "messages": {s.type: message(s, titles[s.type]) for s in specs},
            "parameters": {
                "province": {
                    "description": "One of the 34 provincial units since 2025-07-01, or `national`.",
                    "enum": province_keys(),
                    "examples": ["quang-tri"],
                },
                "national": {
                    "description": "Always `national`: this type concerns no single province.",
                    "enum": [NATIONAL],
                    "default": NATIONAL,
                },
            },
            "securitySchemes": {
                "provinceUser": {
                    "type": "userPassword",
                    "description": "One RabbitMQ user per province, `province.<slug>` (e.g. "
                    "`province.quang-tri`), created by ketnoi's operators. The broker lets it bind "
                    "`ketnoi.public` only with keys that start with `<slug>.` or `national.`, and "
                    "declare, bind, read and delete only queues named `province.<slug>.…`; it may "
                    "publish nowhere. Anything else is ACCESS_REFUSED (reply code 403), which "
                    "closes the channel. Operators' users (`ops.<name>`) may bind any key.",
                },
            },
            "correlationIds": {
                "request": {
                    "description": "The request that caused the change, across every service's logs.",
                    "location": "$message.payload#/correlationid",
                },
            },
            "channelBindings": {
                "publicExchange": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {**PUBLIC_EXCHANGE, "vhost": PRODUCTION_VHOST},
                        "bindingVersion": AMQP_BINDING_VERSION,
                    }
                },
            },
            "operationBindings": {
                "acknowledge": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
            },
            "messageBindings": {
                "cloudEvent": {
                    "amqp": {"contentEncoding": CLOUDEVENTS_CONTENT_ENCODING, "bindingVersion": AMQP_BINDING_VERSION}
                },
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    """Text of several lines as a literal block, so the committed file reads like the text it holds."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _Dumper.represent_str)


def as_yaml(doc: dict[str, Any]) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.events.asyncapi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="JSON instead of YAML")
    args = parser.parse_args(argv)
    doc = document()
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n" if args.json else as_yaml(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
