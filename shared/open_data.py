"""Open data of an edition: counts of what organisations did, in one shape every service fills.

Each service counts its own facts (registration: who took part; booths: the
floor; meetings: B2B meetings and MOUs) as ``{measure: {dimension: {key:
count}}}``; the gateway puts them side by side and writes the CSV.  Only
organisations are counted, never people, and free text never appears: a key
is a code (a province slug, a country, a sector, a status).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

Counts = dict[str, dict[str, int]]  # dimension -> key -> count


def tally(rows: Iterable[Mapping[str, Any]], dimensions: Mapping[str, Any]) -> Counts:
    """``dimensions``: name -> a function of a row giving its key, a list of keys (each counted), or None
    (not counted in that dimension).  Keys are sorted, so the same facts give the same document."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in dimensions}
    for row in rows:
        for name, key_of in dimensions.items():
            keys = key_of(row)
            for key in keys if isinstance(keys, (list, tuple, set, frozenset)) else [keys]:
                if key is not None:
                    counts[name][str(key)] += 1
    return {name: dict(sorted(c.items())) for name, c in counts.items()}


def to_csv(edition_id: str, measures: Mapping[str, Mapping[str, Any]]) -> str:
    """Long format, one number per line: ``edition_id,measure,dimension,key,value`` (a count; for
    ``value_by_currency`` an amount; ``total`` and other single numbers have the key ``all``), so a spreadsheet
    or a province's pipeline reads every measure the same way."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["edition_id", "measure", "dimension", "key", "value"])
    for measure, facts in measures.items():
        for dimension, value in facts.items():
            if isinstance(value, int):
                writer.writerow([edition_id, measure, dimension, "all", value])
            else:
                for key, count in value.items():
                    writer.writerow([edition_id, measure, dimension, key, count])
    return buffer.getvalue()
