"""The public event contract as an AsyncAPI 3.0 document (shared/events/asyncapi.py).

Valid for the AsyncAPI Initiative's own JSON Schema of 3.0.0 and its parser (``tools/asyncapi``, pinned,
installed by ``make test``), committed exactly as generated, and saying what the code does: the routing
function's keys, the envelope make_event builds, the schema files, production's server.  What the relays
put on the wire is held to it against the real broker in tests/integration/test_event_contract_wire.py.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from shared.events.asyncapi import (
    PRODUCTION_VHOST,
    UnportableSchema,
    as_yaml,
    contract_version,
    data_schema,
    document,
)
from shared.events.catalogue import NATIONAL, EventType, catalogue, catalogue_dir, public_types
from shared.events.compat import last_release
from shared.events.envelope import make_event
from shared.events.routing import public_routing_keys
from shared.reference.provinces import MERGER_DATE, provinces_on, successor
from tests.support.asyncapi import resolved

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DIR = catalogue_dir()
COMMITTED = EVENTS_DIR / "asyncapi.yaml"
TOOLS = ROOT / "tools" / "asyncapi"
OFFICIAL_SCHEMA = TOOLS / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"
APPROVED = "vn.ketnoi.registration.participation.approved.v1"
SERIES = "vn.ketnoi.registration.series.created.v1"
MOU = "vn.ketnoi.meetings.mou.signed.v1"


def tools_installed() -> None:
    if not (TOOLS / "node_modules" / ".installed").is_file() or shutil.which("node") is None:
        pytest.fail("the AsyncAPI tools are not installed: `make node` (make test does it)")


@cache
def official_schema() -> Draft7Validator:
    tools_installed()
    return Draft7Validator(json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8")))


def official_errors(doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in official_schema().iter_errors(doc)]


def parsed(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The parser's verdict on each file, by file name (one Node process for all)."""
    tools_installed()
    run = subprocess.run(
        ["node", str(TOOLS / "validate.js"), *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode in (0, 1), run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    return {Path(r["file"]).name: r for r in results}


def message_of(event_type: str) -> dict[str, Any]:
    doc = document()
    return resolved(doc, doc["components"]["messages"][event_type])


def readme_example() -> dict[str, Any]:
    text = (EVENTS_DIR / "README.md").read_text(encoding="utf-8")
    return json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))


def address_pattern(event_type: str) -> re.Pattern[str]:
    """The channel's address with ``{province}`` replaced by the values its parameter allows."""
    doc = document()
    channel = doc["channels"][event_type]
    allowed = resolved(doc, channel["parameters"]["province"])["enum"]
    return re.compile(
        re.escape(channel["address"]).replace(re.escape("{province}"), f"({'|'.join(map(re.escape, allowed))})")
    )


# --- valid for the AsyncAPI Initiative's tools --------------------------------------------------------------


def test_the_document_is_valid_for_the_official_asyncapi_3_schema():
    assert document()["asyncapi"] == "3.0.0"
    assert official_errors(document()) == []


def test_the_parser_builds_the_committed_document_without_an_error_or_a_warning():
    verdict = parsed([COMMITTED])[COMMITTED.name]
    assert verdict["valid"], verdict["diagnostics"]
    # info (2) and hints (3) only: the parser says 3.1.0 exists; 3.0.0 is what code generators read today
    assert [d for d in verdict["diagnostics"] if d["severity"] <= 1] == []


def test_the_committed_document_is_the_generated_one():
    assert COMMITTED.read_text(encoding="utf-8") == as_yaml(document()), (
        "events/asyncapi.yaml is stale: python -m shared.events.asyncapi > events/asyncapi.yaml"
    )
    assert yaml.safe_load(COMMITTED.read_text(encoding="utf-8")) == json.loads(json.dumps(document()))


def two_types() -> dict[str, Any]:
    """A copy of the document with two types only (the parser takes seconds over all of them)."""
    doc = copy.deepcopy(document())
    for part in (doc["channels"], doc["components"]["messages"], doc["components"]["schemas"]):
        for event_type in set(part) - {APPROVED, SERIES}:
            del part[event_type]
    doc["operations"] = {f"receive.{t}": doc["operations"][f"receive.{t}"] for t in (APPROVED, SERIES)}
    return doc


def test_the_two_type_copy_is_valid_as_it_is(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(as_yaml(two_types()), encoding="utf-8")
    assert official_errors(two_types()) == [] and parsed([path])[path.name]["valid"]


def _break(doc: dict[str, Any], how: str) -> None:
    operation = doc["operations"][f"receive.{APPROVED}"]
    if how == "info without a version":
        del doc["info"]["version"]
    elif how == "an exchange type AMQP does not have":
        doc["components"]["channelBindings"]["publicExchange"]["amqp"]["exchange"]["type"] = "broadcast"
    elif how == "a payload schema that is not a schema":
        doc["components"]["schemas"][APPROVED]["properties"]["status"]["type"] = 5
    elif how == "an operation on a channel that does not exist":
        operation["channel"] = {"$ref": "#/channels/vn.ketnoi.registration.participation.approved.v9"}
    elif how == "an operation receiving another channel's message":
        operation["messages"] = [{"$ref": f"#/channels/{SERIES}/messages/{SERIES}"}]
    elif how == "an address naming a parameter not described":
        doc["channels"][APPROVED]["address"] = f"{{unit}}.{APPROVED}"


BROKEN = {  # how -> refused by the official JSON Schema too (the parser refuses all)
    "info without a version": True,
    "an exchange type AMQP does not have": True,
    "a payload schema that is not a schema": True,
    "an operation on a channel that does not exist": False,
    "an operation receiving another channel's message": False,
    "an address naming a parameter not described": False,
}


@pytest.fixture(scope="module")
def broken_verdicts(tmp_path_factory) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Each broken document's errors from the JSON Schema and the parser's verdict (one parser run for all)."""
    directory = tmp_path_factory.mktemp("broken")
    docs, paths = {}, []
    for number, how in enumerate(BROKEN):
        docs[how] = two_types()
        _break(docs[how], how)
        paths.append(directory / f"broken-{number}.yaml")
        paths[-1].write_text(as_yaml(docs[how]), encoding="utf-8")
    verdicts = parsed(paths)
    return {how: (official_errors(docs[how]), verdicts[path.name]) for (how, path) in zip(BROKEN, paths, strict=True)}


@pytest.mark.parametrize("how", sorted(BROKEN))
def test_a_broken_document_is_refused(broken_verdicts, how):
    schema_errors, verdict = broken_verdicts[how]
    assert not verdict["valid"] and any(d["severity"] == 0 for d in verdict["diagnostics"])
    assert bool(schema_errors) == BROKEN[how], schema_errors


# --- what the code does ---------------------------------------------------------------------------------------


def test_one_channel_operation_and_message_per_public_type_and_nothing_internal():
    doc = document()
    public = set(public_types())
    assert set(doc["channels"]) == set(doc["components"]["messages"]) == set(doc["components"]["schemas"]) == public
    assert set(doc["operations"]) == {f"receive.{t}" for t in public}
    assert {o["action"] for o in doc["operations"].values()} == {"receive"}
    text = json.dumps(doc)
    assert [t for t, spec in catalogue().items() if not spec.public and t in text] == []


def test_each_channel_lists_every_key_the_routing_function_gives_its_type():
    doc = document()
    units = sorted(provinces_on(MERGER_DATE))
    assert doc["components"]["parameters"]["province"]["enum"] == [*units, NATIONAL]
    assert doc["components"]["parameters"]["national"]["enum"] == [NATIONAL]
    before = sorted(provinces_on(date(2024, 8, 16)))
    assert {successor(slug) for slug in before} <= set(units)
    for event_type in public_types():
        spec, pattern = catalogue()[event_type], address_pattern(event_type)
        if spec.routing == NATIONAL:
            samples = [{}]
        elif spec.routing.startswith("parties[]."):
            field = spec.routing.removeprefix("parties[].")
            samples = [
                {"parties": [{field: a}, {field: b}]}
                for a, b in zip([*units, *before, None], [*reversed(units), *before, None], strict=True)
            ]
        else:
            samples = [{spec.routing: slug} for slug in [*units, *before, None]]
        keys = {key for data in samples for key in public_routing_keys({"type": event_type, "data": data})}
        assert keys and all(pattern.fullmatch(key) for key in keys), (event_type, keys)
        expected = (
            {f"{NATIONAL}.{event_type}"}
            if spec.routing == NATIONAL
            else {f"{p}.{event_type}" for p in [*units, NATIONAL]}
        )
        assert keys == expected  # and every key the channel allows is one routing gives


def test_the_readme_example_and_what_make_event_builds_are_what_the_message_describes():
    approved = message_of(APPROVED)
    Draft7Validator(approved["payload"]).validate(readme_example())
    series = message_of(SERIES)
    data = {"series_id": "thanh-hoa-ket-noi", "name": {"vi": "Kết nối cung cầu", "en": "Supply and demand"}}
    for correlation_id in ("9f1c2d4e-5b6a-4c3d-8e7f-0a1b2c3d4e5f", None):
        event = make_event(SERIES, "registration", "series/thanh-hoa-ket-noi", data, correlation_id)
        Draft7Validator(series["payload"], format_checker=Draft7Validator.FORMAT_CHECKER).validate(event)
        assert series["payload"]["required"] == [k for k in event if k != "correlationid"]
        assert set(series["payload"]["properties"]) == {*event, "correlationid"}
    wrong = make_event(SERIES, "booths", "series/thanh-hoa-ket-noi", data)  # another service's source
    assert not Draft7Validator(series["payload"]).is_valid(wrong)
    assert not Draft7Validator(approved["payload"]).is_valid({**readme_example(), "type": SERIES})


def test_each_message_carries_its_type_s_schema_file_unchanged_but_for_its_draft():
    doc = document()
    for event_type in public_types():
        on_file = json.loads((EVENTS_DIR / catalogue()[event_type].schema_file).read_text(encoding="utf-8"))
        assert on_file.pop("$schema") == "https://json-schema.org/draft/2020-12/schema"
        assert doc["components"]["schemas"][event_type] == on_file
        assert message_of(event_type)["payload"]["properties"]["data"] == on_file
        # what the file accepts, draft-07 accepts too: the same keywords mean the same there
        Draft7Validator.check_schema(on_file)
        Draft202012Validator.check_schema(on_file)


@pytest.mark.parametrize(
    "keyword, value",
    [
        ("$defs", {"code": {"type": "string"}}),
        ("prefixItems", [{"type": "string"}]),
        ("dependentRequired", {"a": ["b"]}),
        ("unevaluatedProperties", False),
    ],
)
def test_a_schema_keyword_draft_07_reads_differently_is_refused(tmp_path, keyword, value):
    schema = json.loads((EVENTS_DIR / catalogue()[MOU].schema_file).read_text(encoding="utf-8"))
    schema["properties"]["parties"]["items"][keyword] = value
    (tmp_path / "changed.json").write_text(json.dumps(schema), encoding="utf-8")
    spec = EventType(
        type=MOU,
        producer="meetings",
        public=True,
        schema_file=str(tmp_path / "changed.json"),
        description="",
        routing="parties[].province_2025",
    )
    with pytest.raises(UnportableSchema, match=f"properties/parties/items: {re.escape(keyword)}"):
        data_schema(spec)


def test_the_server_is_production_s_broker_with_a_user_per_province():
    server = document()["servers"]["production"]
    assert (server["protocol"], server["protocolVersion"], server["host"]) == ("amqp", "0.9.1", "{host}:{port}")
    config = yaml.safe_load((ROOT / "k8s" / "config.yaml").read_text(encoding="utf-8"))
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert server["variables"]["vhost"]["default"] == PRODUCTION_VHOST == config["data"]["KETNOI_AMQP_VHOST"]
    assert f"@rabbitmq:{server['variables']['port']['default']}/{PRODUCTION_VHOST}\n" in compose
    assert config["data"]["KETNOI_AMQP_HOST"].endswith(f":{server['variables']['port']['default']}")
    scheme = resolved(document(), server["security"][0])
    assert scheme["type"] == "userPassword" and "province.<slug>" in scheme["description"]


def test_the_version_is_the_last_release_s_until_a_public_schema_changes(tmp_path, monkeypatch):
    assert document()["info"]["version"] == last_release().version == contract_version()
    copied = tmp_path / "events"
    shutil.copytree(EVENTS_DIR, copied)
    schema_file = copied / catalogue()[SERIES].schema_file
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    schema["properties"]["theme"] = {"type": "string"}  # an optional property: compatible, but not released
    schema_file.write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setenv("KETNOI_EVENTS_DIR", str(copied))
    assert contract_version() == f"{last_release().version}+unreleased"
