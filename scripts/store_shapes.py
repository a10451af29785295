"""Add recorded store-call shapes to the catalogues: ``python -m scripts.store_shapes DIR``.

``DIR`` is what a test run recorded (``KETNOI_STORE_SHAPES=DIR make test``).
Each new shape is appended to the ``queries.yaml`` beside the store that sent
it; nothing is removed.  Read the diff: every new entry is a query the
differential contract will now run on both stores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from shared.store.shapes import ROOT, key_of, load_catalogue, recorded

HEADER = """# Every query shape this store sends, values replaced by their types (see shared/store/shapes.py).
# tests/contract/test_store_differential.py runs each on the embedded store and on mongomock and compares;
# tests/contract/test_store_catalogue.py fails when the code sends a shape that is not listed here.
# Add new ones with: KETNOI_STORE_SHAPES=/tmp/shapes make test; python -m scripts.store_shapes /tmp/shapes
"""


ORDER = ("op", "filter", "update", "pipeline", "projection", "sort", "limit", "upsert", "after", "polling")


def write(path: Path, entries: list[dict]) -> None:
    entries = [
        {k: e[k] for k in sorted(e, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))} for e in entries
    ]
    body = yaml.safe_dump({"queries": entries}, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    path.write_text(HEADER + body, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    for catalogue, entries in sorted(recorded(args.directory).items()):
        path = ROOT / catalogue
        known = load_catalogue(path) if path.exists() else []
        keys = {key_of(e) for e in known}
        new = [e for e in entries if key_of(e) not in keys]
        if new:
            write(path, known + sorted(new, key=lambda e: (e["op"], key_of(e))))
            print(f"{catalogue}: {len(new)} new shapes")


if __name__ == "__main__":
    main()
