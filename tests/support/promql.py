"""What a PromQL expression names: its metrics, the labels it matches on, and the labels it groups by.

Enough of PromQL's grammar to find names, not to evaluate: promtool parses the
expressions for real (tests/contract/test_monitoring.py runs it on every rule and
every dashboard query); this only has to tell a metric from a function, a
keyword, a label or a Grafana variable, so that a metric or label renamed in the
code fails the monitoring tests instead of leaving a dashboard blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r"""
    (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<variable>\$\{[^}]*\}|\$\w+)
  | (?P<duration>\d+(?:ms|[smhdwy])(?![A-Za-z0-9_:]))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<punct>=~|!~|!=|==|>=|<=|[{}(),=<>+\-*/%^@])
  | (?P<space>\s+)
""",
    re.VERBOSE,
)

GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"} | GROUPING
AGGREGATIONS = {
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "limitk",
    "limit_ratio",
}


@dataclass
class Selector:
    """One vector selector: ``name{label op "value", …}``."""

    metric: str
    matchers: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Names:
    selectors: list[Selector]
    grouping: set[str]  # labels of by / without / on / ignoring / group_left / group_right

    @property
    def metrics(self) -> set[str]:
        return {s.metric for s in self.selectors}


def tokens(expr: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(expr):
        match = TOKEN.match(expr, position)
        if match is None:
            raise ValueError(f"cannot read {expr[position : position + 20]!r} in {expr!r}")
        if match.lastgroup != "space":
            found.append((match.lastgroup, match.group()))
        position = match.end()
    return found


def _matchers(toks: list[tuple[str, str]], i: int) -> tuple[dict[str, tuple[str, str]], int]:
    """The matchers of the ``{…}`` opening at ``toks[i]``; the index after its ``}``."""
    matchers: dict[str, tuple[str, str]] = {}
    i += 1
    while toks[i][1] != "}":
        if toks[i][1] == ",":
            i += 1
            continue
        label, op, value = toks[i][1], toks[i + 1][1], toks[i + 2][1]
        if toks[i][0] != "name" or toks[i + 2][0] not in ("string", "variable"):
            raise ValueError(f"not a label matcher: {label} {op} {value}")
        matchers[label] = (op, value[1:-1] if toks[i + 2][0] == "string" else value)
        i += 3
    return matchers, i + 1


def _label_list(toks: list[tuple[str, str]], i: int) -> tuple[set[str], int]:
    """The labels of the ``(a, b)`` opening at ``toks[i]``; the index after its ``)``."""
    labels: set[str] = set()
    i += 1
    while toks[i][1] != ")":
        if toks[i][0] == "name":
            labels.add(toks[i][1])
        i += 1
    return labels, i + 1


def names(expr: str) -> Names:
    toks = tokens(expr)
    selectors: list[Selector] = []
    grouping: set[str] = set()
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        following = toks[i + 1][1] if i + 1 < len(toks) else ""
        if kind == "name" and text in GROUPING:
            if following == "(":
                labels, i = _label_list(toks, i + 1)
                grouping |= labels
            else:  # group_left without labels
                i += 1
        elif kind == "name" and (text in KEYWORDS or text in AGGREGATIONS or following == "("):
            i += 1  # a keyword, an aggregation or a function: its arguments come next
        elif kind == "name":
            matchers: dict[str, tuple[str, str]] = {}
            i += 1
            if following == "{":
                matchers, i = _matchers(toks, i)
            selectors.append(Selector(text, matchers))
        elif text == "{":  # a selector without a name: {__name__="…", …}
            matchers, i = _matchers(toks, i)
            selectors.append(Selector(matchers.get("__name__", ("=", ""))[1], matchers))
        else:
            i += 1
    return Names(selectors, grouping)
