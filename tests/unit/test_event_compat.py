"""Public event types change only by addition within a version (shared/events/compat.py).

The checker on pairs of schemas (what it lets through, what it refuses and where it says the problem is),
then the repository's own catalogue against its committed release snapshot (events/released/), then the
snapshot command on a copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.events import compat
from shared.events.catalogue import catalogue, catalogue_dir, public_types
from shared.events.compat import Release, incompatibilities, last_release, problems, schema_problems, snapshot

NAME = {
    "type": ["object", "null"],
    "properties": {"vi": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
    "minProperties": 1,
}
RELEASED: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://schemas.ketnoi.vn/events/x.v1.json",
    "title": "X",
    "type": "object",
    "required": ["edition_id", "status", "province"],
    "properties": {
        "edition_id": {"type": "string", "minLength": 1},
        "status": {"type": "string", "enum": ["submitted", "approved"]},
        "province": {"type": ["string", "null"], "pattern": "^[a-z0-9-]+$"},
        "name": NAME,
        "stars": {"type": "integer", "minimum": 3, "maximum": 5},
        "sectors": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "parties": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["province"],
                "properties": {"province": {"type": ["string", "null"]}},
                "additionalProperties": False,
            },
        },
        "extra": {"type": "object", "additionalProperties": {"type": "string"}},
        "kind": {"const": "enterprise"},
    },
    "additionalProperties": False,
}


def changed(path: str, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    """A copy of RELEASED with the value at ``path`` (keys joined by '/') set, or deleted."""
    schema = json.loads(json.dumps(RELEASED))
    *parents, last = path.split("/")
    node = schema
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return schema


COMPATIBLE = {
    "nothing changed": RELEASED,
    "a new optional property": changed("properties/theme", {"type": "string"}),
    "a new value in an enum": changed("properties/status/enum", ["submitted", "approved", "waitlisted"]),
    "null allowed besides a string": changed("properties/edition_id/type", ["string", "null"]),
    "integer widened to number": changed("properties/stars/type", "number"),
    "a pattern dropped": changed("properties/province/pattern", delete=True),
    "a minimum lowered": changed("properties/stars/minimum", 1),
    "a maximum raised": changed("properties/sectors/maxItems", 20),
    "a const widened to an enum": changed("properties/kind", {"enum": ["enterprise", "cooperative"]}),
    "additionalProperties loosened": changed("additionalProperties", True),
    "a property schema of additionalProperties widened": changed("properties/extra/additionalProperties", True),
    "descriptions and titles reworded": changed("title", "Something else"),
    "a nested property gains an optional field": changed(
        "properties/parties/items/properties/role", {"type": "string"}
    ),
}


@pytest.mark.parametrize("case", sorted(COMPATIBLE))
def test_an_additive_change_is_compatible(case):
    assert schema_problems(RELEASED, COMPATIBLE[case]) == []


INCOMPATIBLE = {  # case -> (new schema, the one problem the checker must report)
    "a property removed": (changed("properties/name", delete=True), "data.name: removed"),
    "a property newly required": (
        changed("required", ["edition_id", "status", "province", "stars"]),
        "data.stars: newly required",
    ),
    "a property no longer required": (
        changed("required", ["edition_id", "status"]),
        "data.province: no longer required (consumers may rely on it)",
    ),
    "null no longer allowed": (
        changed("properties/province/type", "string"),
        "data.province: type no longer allows null",
    ),
    "a type where any was allowed": (
        changed("properties/kind/type", "string"),
        "data.kind: type now limited to string",
    ),
    "an enum value dropped": (
        changed("properties/status/enum", ["approved"]),
        "data.status: no longer allows ['submitted']",
    ),
    "an enum where any string was allowed": (
        changed("properties/edition_id/enum", ["a"]),
        "data.edition_id: values now limited to ['a']",
    ),
    "a const changed": (changed("properties/kind/const", "cooperative"), "data.kind: no longer allows ['enterprise']"),
    "a pattern changed": (
        changed("properties/province/pattern", "^[a-z]+$"),
        "data.province: pattern '^[a-z]+$' added (was '^[a-z0-9-]+$'): it may refuse what was accepted",
    ),
    "a format added": (
        changed("properties/edition_id/format", "uuid"),
        "data.edition_id: format 'uuid' added: it may refuse what was accepted",
    ),
    "a minimum raised": (changed("properties/stars/minimum", 4), "data.stars: minimum 3 → 4"),
    "a maximum lowered": (changed("properties/stars/maximum", 4), "data.stars: maximum 5 → 4"),
    "a maximum added": (changed("properties/edition_id/maxLength", 24), "data.edition_id: maxLength 24 added"),
    "items made unique": (changed("properties/sectors/uniqueItems", True), "data.sectors: items must now be unique"),
    "additionalProperties tightened": (
        changed("properties/extra/additionalProperties", False),
        "data.extra: additionalProperties tightened to false",
    ),
    "additional properties' schema narrowed": (
        changed("properties/extra/additionalProperties/minLength", 2),
        "data.extra.*: minLength 2 added",
    ),
    "a property of list items removed": (
        changed("properties/parties/items/properties/province", delete=True),
        "data.parties[].province: removed",
    ),
    "a name's language narrowed": (
        changed("properties/name/properties/vi/maxLength", 80),
        "data.name.vi: maxLength 80 added",
    ),
    "a condition added": (
        changed("if", {"properties": {"status": {"const": "approved"}}}),
        "data: if added or changed: the checker cannot tell that it refuses nothing",
    ),
    "a property that accepts nothing": (changed("properties/stars", False), "data.stars: now accepts nothing"),
}


@pytest.mark.parametrize("case", sorted(INCOMPATIBLE))
def test_a_narrowing_change_is_refused_where_it_is(case):
    new, problem = INCOMPATIBLE[case]
    assert schema_problems(RELEASED, new) == [problem]


def test_every_problem_of_a_change_is_reported():
    new = changed("properties/name", delete=True)
    new["properties"]["status"]["enum"] = ["approved"]
    new["additionalProperties"] = {"type": "string"}  # looser than false: not a problem
    assert schema_problems(RELEASED, new) == ["data.status: no longer allows ['submitted']", "data.name: removed"]


def test_a_schema_that_accepted_nothing_may_become_anything():
    assert schema_problems(False, {"type": "string"}) == []
    assert schema_problems(True, {"type": "string"}) == ["data: type now limited to string"]


# --- the repository against its release ----------------------------------------------------------------------


def test_the_catalogue_is_compatible_with_the_last_release(capsys):
    release = last_release()
    assert release.directory.parent == catalogue_dir() / "released"
    assert set(release.routing()) <= set(public_types())
    assert problems(release) == []
    assert compat.main(["check"]) == 0
    assert f"compatible with {release.version}" in capsys.readouterr().out


def release_copy(tmp_path: Path) -> Release:
    """A copy of the committed release to change, as if it had been released that way."""
    release = last_release()
    shutil.copytree(release.directory, tmp_path / release.version)
    return Release(release.version, tmp_path / release.version)


APPROVED = "vn.ketnoi.registration.participation.approved.v1"


def test_a_change_since_the_release_is_named_with_its_type(tmp_path):
    release = release_copy(tmp_path)
    schema = release.schema(APPROVED)
    schema["properties"]["legacy_code"] = {"type": "string"}  # released with it; the current schema lacks it
    schema["required"].append("legacy_code")
    (release.directory / f"{APPROVED}.json").write_text(json.dumps(schema), encoding="utf-8")
    routing = release.routing()
    routing["vn.ketnoi.registration.series.created.v1"] = "province"
    routing["vn.ketnoi.registration.series.renamed.v1"] = "national"
    (release.directory / compat.ROUTING_FILE).write_text(yaml.safe_dump(routing), encoding="utf-8")

    assert incompatibilities(release) == {
        APPROVED: ["data.legacy_code: no longer required (consumers may rely on it)", "data.legacy_code: removed"],
        "vn.ketnoi.registration.series.created.v1": [
            "routed by 'national', released routed by 'province': queues bound to its old keys would miss it"
        ],
        "vn.ketnoi.registration.series.renamed.v1": [
            f"released in {release.version} and gone (publish a .v2 beside it; retire it only after its "
            "deprecation period: snapshot --retire)"
        ],
    }


def test_a_type_made_internal_is_refused(tmp_path):
    release = release_copy(tmp_path)
    internal = "vn.ketnoi.registration.organisation.contacts_changed.v1"
    assert not catalogue()[internal].public
    routing = {**release.routing(), internal: "province"}
    (release.directory / compat.ROUTING_FILE).write_text(yaml.safe_dump(routing), encoding="utf-8")
    assert list(incompatibilities(release)) == [internal]
    assert "now internal" in incompatibilities(release)[internal][0]


def test_a_snapshot_holds_every_public_type_and_replaces_the_last_one(tmp_path):
    release_copy(tmp_path)
    taken = snapshot("v1.1.0", root=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["v1.1.0"] and last_release(tmp_path) == taken
    assert sorted(p.name for p in taken.directory.glob("*.json")) == [f"{t}.json" for t in public_types()]
    assert taken.routing() == {t: catalogue()[t].routing for t in public_types()}
    assert taken.schema(APPROVED) == json.loads(
        (catalogue_dir() / catalogue()[APPROVED].schema_file).read_text(encoding="utf-8")
    )
    assert problems(taken) == [] and compat.unchanged_since(taken)


def test_a_snapshot_is_refused_over_an_incompatible_change_unless_the_type_is_retired(tmp_path):
    release = release_copy(tmp_path)
    gone = "vn.ketnoi.registration.series.renamed.v1"
    routing = {**release.routing(), gone: "national"}
    (release.directory / compat.ROUTING_FILE).write_text(yaml.safe_dump(routing), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{gone}: released in"):
        snapshot("v2.0.0", root=tmp_path)
    with pytest.raises(ValueError, match=f"{APPROVED}: --retire names a type that is still public"):
        snapshot("v2.0.0", retire=[gone, APPROVED], root=tmp_path)
    with pytest.raises(ValueError, match="not a release name"):
        snapshot("../v2", retire=[gone], root=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [release.version]  # nothing taken yet

    taken = snapshot("v2.0.0", retire=[gone], root=tmp_path)
    assert gone not in taken.routing() and [p.name for p in tmp_path.iterdir()] == ["v2.0.0"]


def test_no_release_or_two_is_said_plainly(tmp_path):
    with pytest.raises(compat.NoRelease, match="not 0"):
        last_release(tmp_path)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    with pytest.raises(compat.NoRelease, match="not 2"):
        last_release(tmp_path)


def test_check_fails_and_says_what_to_do(tmp_path, monkeypatch, capsys):
    copied = tmp_path / "events"
    shutil.copytree(catalogue_dir(), copied)
    release = last_release(copied / "released")
    schema = release.schema(APPROVED)
    schema["properties"]["role"]["enum"].append("sponsor")  # released with a value the current one lacks
    (release.directory / f"{APPROVED}.json").write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setenv("KETNOI_EVENTS_DIR", str(copied))
    assert compat.main(["check"]) == 1
    err = capsys.readouterr().err
    assert f"{APPROVED}: data.role: no longer allows ['sponsor']" in err
    assert f"1 incompatible changes since {release.version}: make a .v2 type instead" in err
