"""Reading the AsyncAPI document in tests as a consumer's tools would: its local ``$ref`` resolved."""

from __future__ import annotations

from typing import Any


def resolved(doc: dict[str, Any], node: Any) -> Any:
    """``node`` with every local ``$ref`` of ``doc`` replaced by what it points at."""
    if isinstance(node, list):
        return [resolved(doc, item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"$ref"}:
        target: Any = doc
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        return resolved(doc, target)
    return {key: resolved(doc, value) for key, value in node.items()}
