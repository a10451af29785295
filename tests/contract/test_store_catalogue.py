"""The catalogues of query shapes hold what the code really sends (so the differential contract covers it).

Every store call made during this test session, in this process and in the
end-to-end stack's service processes, was recorded with its shape under
``KETNOI_STORE_SHAPES`` (see ``tests/conftest.py``).  This test runs last and
fails on any shape the catalogue beside its store does not list, printing the
entries to add (or run ``python -m scripts.store_shapes DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from shared.store.shapes import ROOT, key_of, load_catalogue, recorded

KNOWN_OPS = {
    "find",
    "find_one",
    "count_documents",
    "aggregate",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "update_each",
    "replace_one",
    "find_one_and_update",
    "delete_one",
    "delete_many",
}


def _catalogues() -> list[Path]:
    return sorted([*ROOT.glob("services/*/*/queries.yaml"), ROOT / "shared" / "store" / "queries.yaml"])


def test_every_catalogue_entry_is_a_call_the_door_offers():
    for path in _catalogues():
        entries = load_catalogue(path)
        assert entries, f"{path} is empty"
        assert {e["op"] for e in entries} <= KNOWN_OPS, path
        keys = [key_of(e) for e in entries]
        assert len(keys) == len(set(keys)), f"{path} lists a shape twice"


@pytest.mark.last
def test_every_shape_the_code_sent_is_catalogued():
    directory = Path(os.environ["KETNOI_STORE_SHAPES"])
    seen = recorded(directory)
    if not seen:
        pytest.skip(f"nothing recorded in {directory}: this check runs after the whole suite")
    missing = {}
    for catalogue, entries in sorted(seen.items()):
        path = ROOT / catalogue
        known = {key_of(e) for e in load_catalogue(path)} if path.exists() else set()
        new = [e for e in entries if key_of(e) not in known]
        if new:
            missing[catalogue] = new
    assert not missing, (
        "shapes sent but not catalogued (add them, or run "
        f"`python -m scripts.store_shapes {directory}`):\n"
        + yaml.safe_dump(missing, allow_unicode=True, sort_keys=False)
    )
