"""What the platform operations answer: notifications and their preferences, a province's event feed, the
dev tokens, and the two contract documents (OpenAPI, AsyncAPI) described by their top-level members.

Free-form JSON (an event's ``data``, the JSON Schemas inside the contract documents) is typed as
:data:`JSON_VALUE`, the ``JsonValue`` component: any JSON value, recursively (a generated client gets
``string | number | boolean | null | Scalar-or-object[] | { [key: string]: JsonValue }``, not
``Record<string, never>``).  An array's items are scalars or objects, not arrays themselves: TypeScript
rejects a type that contains an array of itself, and the documents it types nest no arrays directly.
That is all the document can honestly say of them: each event type's ``data`` is described by the AsyncAPI
document, not here.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

from gateway.answers import local_time, utc_time
from shared.pages import PageQuery

JSON_VALUE_REF = "#/components/schemas/JsonValue"
JSON_VALUE: dict[str, Any] = {
    "description": "Any JSON value: a string, number, boolean, null, an object of JSON values, or an array of "
    "scalars and such objects.",
    "anyOf": [
        {"type": ["string", "number", "boolean", "null"]},
        {
            "type": "array",
            "items": {
                "anyOf": [
                    {"type": ["string", "number", "boolean", "null"]},
                    {"type": "object", "additionalProperties": {"$ref": JSON_VALUE_REF}},
                ]
            },
        },
        {"type": "object", "additionalProperties": {"$ref": JSON_VALUE_REF}},
    ],
}
"""The ``JsonValue`` component (registered by :func:`gateway.openapi.openapi_document`)."""


def json_value(description: str = "", **kwargs: Any) -> fields.Raw:
    """A member whose value is any JSON value (the ``JsonValue`` component)."""
    metadata: dict[str, Any] = {"allOf": [{"$ref": JSON_VALUE_REF}]}
    if description:
        metadata["description"] = description
    return fields.Raw(metadata=metadata, **kwargs)


def json_object(description: str = "", **kwargs: Any) -> fields.Dict:
    """A member whose value is a JSON object with members of any JSON value."""
    metadata = {"description": description} if description else {}
    return fields.Dict(keys=fields.String(), values=json_value(), metadata=metadata, **kwargs)


# -- notifications ------------------------------------------------------------------------------------------

MESSAGE_STATUSES = ("pending", "sending", "sent", "written", "dead")
CHANNELS = ("email", "sms", "zalo")


class NotificationMessage(Schema):
    """One message to one delegate on one channel, and how its delivery went."""

    id = fields.String(required=True, metadata={"description": "<event id>.<delegate id>.<channel>"})
    event_id = fields.String(required=True, metadata={"description": "The event that caused it"})
    event_type = fields.String(required=True, metadata={"example": "vn.ketnoi.registration.participation.approved.v1"})
    template = fields.String(required=True, metadata={"example": "participation.approved"})
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    language = fields.String(required=True, validate=validate.OneOf(("vi", "en")))
    delegate_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    edition_id = fields.String(required=True, allow_none=True, metadata={"description": "Null: about no edition"})
    to = fields.String(
        required=True,
        metadata={
            "description": "The address: in full in an organiser's delivery log, masked (l…i@example.vn) "
            "in an organisation's own list"
        },
    )
    subject = fields.String(required=True, allow_none=True, metadata={"description": "Null for SMS and Zalo"})
    status = fields.String(
        required=True,
        validate=validate.OneOf(MESSAGE_STATUSES),
        metadata={"description": "written: put in the outbox directory instead of sent (development)"},
    )
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = local_time("Queued", required=True)
    sent_at = local_time("Sent; null until then", required=True, allow_none=True)
    next_at = utc_time("Next attempt, while pending; else null", required=True, allow_none=True)
    written_to = fields.String(
        required=True, allow_none=True, metadata={"description": "The file it was written to (status written)"}
    )


class NotificationLogQuery(PageQuery):
    organisation_id = fields.String(
        validate=validate.Length(max=100), metadata={"description": "Only the messages to this organisation"}
    )
    status = fields.String(validate=validate.OneOf(MESSAGE_STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    template = fields.String(
        validate=validate.Length(max=100), metadata={"description": "A template name, e.g. participation.approved"}
    )


class NotificationPreferences(Schema):
    delegate_id = fields.String(required=True)
    email = fields.Boolean(required=True, metadata={"description": "Default: true"})
    sms = fields.Boolean(required=True, metadata={"description": "Default: false (opt-in)"})
    zalo = fields.Boolean(required=True, metadata={"description": "Default: false (opt-in)"})
    unsubscribed_non_essential = fields.Boolean(
        required=True, metadata={"description": "No reminders or invitations; essential messages still come"}
    )


class UnsubscribeQuery(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(max=500),
        metadata={"description": "The signed token of the link in the message"},
    )


class Unsubscribed(Schema):
    delegate_id = fields.String(required=True)
    unsubscribed_non_essential = fields.Boolean(required=True, validate=validate.Equal(True))


# -- a province's event feed ----------------------------------------------------------------------------------


class ProvinceEvent(Schema):
    """A public event exactly as published (structured-mode CloudEvents 1.0); ``data``'s schema per type is in
    ``GET /v1/asyncapi.json`` and ``events/schemas/``."""

    class Meta:
        unknown = INCLUDE  # extension attributes may grow (ignore those you do not know)

    specversion = fields.String(required=True, metadata={"example": "1.0"})
    id = fields.String(required=True)
    source = fields.String(required=True, metadata={"example": "/ketnoi/registration"})
    type = fields.String(required=True, metadata={"example": "vn.ketnoi.registration.participation.approved.v1"})
    subject = fields.String(required=True)
    time = fields.String(
        required=True,
        metadata={
            "description": "When it happened: RFC 3339 in UTC exactly as the event was published and signed "
            "(`+00:00`, microseconds), the same in the feed, webhooks and the history stream",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$",
            "example": "2026-08-19T02:15:04.123456+00:00",
        },
    )
    datacontenttype = fields.String(required=True, metadata={"example": "application/json"})
    correlationid = fields.String(metadata={"description": "The X-Request-ID of the request that caused it"})
    data = json_object("The type's data: its schema is in the AsyncAPI document", required=True)


class ProvinceEventFeed(Schema):
    items = fields.List(fields.Nested(ProvinceEvent), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as ?after= to continue; the feed never ends: poll with the last one you got"},
    )


class ProvinceEventQuery(Schema):
    after = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "The next_cursor of the previous answer; none: from the first event"},
    )
    limit = fields.Integer(validate=validate.Range(min=1, max=500), metadata={"description": "Events (default 100)"})


# -- dev tokens -----------------------------------------------------------------------------------------------


class TokenPrincipal(Schema):
    """Who a token speaks for."""

    role = fields.String(required=True, validate=validate.OneOf(("organiser", "member", "province", "ops")))
    subject = fields.String(required=True)
    series = fields.String(required=True, allow_none=True, metadata={"description": "An organiser's series"})
    organisation = fields.String(required=True, allow_none=True, metadata={"description": "A member's organisation"})
    province = fields.String(required=True, allow_none=True, metadata={"description": "A province's key"})


class DevToken(Schema):
    token = fields.String(required=True, metadata={"description": "A bearer token valid for 12 hours"})
    principal = fields.Nested(TokenPrincipal, required=True)


# -- the OpenAPI document -------------------------------------------------------------------------------------


class OpenApiInfo(Schema):
    title = fields.String(required=True)
    version = fields.String(required=True)
    description = fields.String()


class OpenApiParameter(Schema):
    in_ = fields.String(data_key="in", required=True, validate=validate.OneOf(("path", "query", "header", "cookie")))
    name = fields.String(required=True)
    required = fields.Boolean()
    description = fields.String()
    schema = json_object("A JSON Schema", required=True)


class OpenApiMediaType(Schema):
    schema = json_object("A JSON Schema", required=True)
    example = json_value("A request body as a client would send it (submitted by tests/e2e/test_request_examples.py)")


class OpenApiRequestBody(Schema):
    required = fields.Boolean()
    content = fields.Dict(keys=fields.String(), values=fields.Nested(OpenApiMediaType), required=True)


class OpenApiResponse(Schema):
    """An answer, or (``$ref`` alone) a reference to one under ``components.responses``: the problem answers
    every operation shares."""

    ref = fields.String(data_key="$ref", metadata={"example": "#/components/responses/Problem404"})
    description = fields.String(metadata={"description": "Present unless this is a reference"})
    content = fields.Dict(keys=fields.String(), values=fields.Nested(OpenApiMediaType))
    headers = fields.Dict(
        keys=fields.String(),
        values=json_object("A reference to a header under components.headers"),
        metadata={"description": "The response headers a client may read, by name"},
    )


class OpenApiOperation(Schema):
    operationId = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String()
    tags = fields.List(fields.String(), required=True)
    parameters = fields.List(fields.Nested(OpenApiParameter), required=True)
    requestBody = fields.Nested(OpenApiRequestBody)
    responses = fields.Dict(keys=fields.String(), values=fields.Nested(OpenApiResponse), required=True)
    security = fields.List(fields.Dict(keys=fields.String(), values=fields.List(fields.String())))


class OpenApiComponents(Schema):
    schemas = fields.Dict(keys=fields.String(), values=json_object(), required=True)
    responses = fields.Dict(keys=fields.String(), values=fields.Nested(OpenApiResponse))
    headers = fields.Dict(keys=fields.String(), values=json_object("A header: its description and schema"))
    securitySchemes = fields.Dict(keys=fields.String(), values=json_object())


class OpenApiDocument(Schema):
    """This document (OpenAPI 3.1): its paths and operations typed, the JSON Schemas inside them as JSON."""

    openapi = fields.String(required=True, metadata={"example": "3.1.0"})
    info = fields.Nested(OpenApiInfo, required=True)
    paths = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(("get", "put", "post", "delete", "patch"))),
            values=fields.Nested(OpenApiOperation),
        ),
        required=True,
    )
    components = fields.Nested(OpenApiComponents, required=True)


# -- the AsyncAPI document ------------------------------------------------------------------------------------


class AsyncApiTag(Schema):
    name = fields.String(required=True)
    description = fields.String()


class AsyncApiInfo(Schema):
    title = fields.String(required=True)
    version = fields.String(required=True)
    description = fields.String()
    tags = fields.List(fields.Nested(AsyncApiTag))


class AsyncApiChannel(Schema):
    address = fields.String(required=True, metadata={"example": "{province}.vn.ketnoi.booths.booth.allocated.v1"})
    title = fields.String()
    description = fields.String()
    parameters = fields.Dict(keys=fields.String(), values=json_object())
    messages = fields.Dict(keys=fields.String(), values=json_object(), required=True)
    bindings = json_object()


class AsyncApiOperation(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("send", "receive")))
    channel = json_object("A reference to its channel", required=True)
    messages = fields.List(json_object())
    summary = fields.String()
    description = fields.String()
    tags = fields.List(fields.Nested(AsyncApiTag))
    bindings = json_object()


class AsyncApiDocument(Schema):
    """The public event contract (AsyncAPI 3.0): channels and operations typed, the schemas inside as JSON."""

    asyncapi = fields.String(required=True, metadata={"example": "3.0.0"})
    info = fields.Nested(AsyncApiInfo, required=True)
    defaultContentType = fields.String(metadata={"example": "application/cloudevents+json"})
    servers = fields.Dict(keys=fields.String(), values=json_object())
    channels = fields.Dict(keys=fields.String(), values=fields.Nested(AsyncApiChannel), required=True)
    operations = fields.Dict(keys=fields.String(), values=fields.Nested(AsyncApiOperation), required=True)
    components = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=json_object()),
        metadata={"description": "schemas, messages, parameters, bindings...: each a map of objects"},
    )
