"""The seam between the gateway and the services, read from the source: which RPCs the gateway calls, with
which body schema, and what the services offer and load.  Used by tests/contract/test_service_seam.py.

The gateway reaches a service through a ``ServiceRpc`` attribute, whose calls resolve by name only at run
time; nothing but this check notices a renamed RPC, a changed signature, or a gateway schema (the one the
OpenAPI document shows) that no longer says what the service accepts.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("booths", "gateway", "integrations", "meetings", "notifications", "registration")


@dataclass(frozen=True)
class Call:
    """``self.<proxy>.<method>(…)`` in a gateway route."""

    where: str
    service: str
    method: str
    positional: int
    keywords: tuple[str, ...]
    bodies: tuple[tuple[int | str, str], ...]  # (argument position or keyword, gateway schema name)


def _proxies(tree: ast.Module) -> dict[str, str]:
    """Attribute name -> service name, for every ``x = ServiceRpc("service", …)`` in a class body."""
    found = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "ServiceRpc"
        ):
            found[node.targets[0].id] = node.value.args[0].value
    return found


def _schema_name(node: ast.expr) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def _api_keyword(function: ast.FunctionDef, name: str) -> ast.expr | None:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "api":
            for keyword in decorator.keywords:
                if keyword.arg == name:
                    return keyword.value
    return None


def _declared_body(function: ast.FunctionDef) -> str | None:
    """The schema of ``@api(…, body=s.X)``: what the OpenAPI document shows of the body."""
    node = _api_keyword(function, "body")
    return _schema_name(node) if node is not None else None


def _checked_schema(node: ast.expr, local: dict[str, str], declared: str | None = None) -> str | None:
    """The schema a value was declared or checked against: ``request.body`` (the route's declared body),
    ``{**request.body, …}`` (the body with what the route adds), ``checked(s.X, …)``, or a name assigned from
    any of them; else None."""
    if isinstance(node, ast.Name):
        return local.get(node.id)
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "body"
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
    ):
        return declared
    if isinstance(node, ast.Dict):
        return next(
            (
                found
                for key, value in zip(node.keys, node.values, strict=True)
                if key is None and (found := _checked_schema(value, local, declared))
            ),
            None,
        )
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "checked":
        return _schema_name(node.args[0])
    return None


@dataclass(frozen=True)
class Route:
    """A gateway route that declares a body: where it goes, and who checks it."""

    where: str
    schema: str
    reads_body: bool  # ``@api(…, reads_body=True)``: the gateway checks it in full before the route runs
    forwarded_to: tuple[str, ...]  # ``service.method`` of every RPC the route hands the body to


def routes_with_bodies(source: str, where: str) -> Iterator[Route]:
    calls = list(gateway_calls(source, where))
    for function in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)):
        schema = _declared_body(function)
        if schema is None:
            continue
        reads = _api_keyword(function, "reads_body")
        lines = range(function.lineno, (function.end_lineno or function.lineno) + 1)
        forwarded = tuple(
            f"{c.service}.{c.method}"
            for c in calls
            if int(c.where.rsplit(":", 1)[1]) in lines and any(s == schema for _, s in c.bodies)
        )
        yield Route(
            f"{where}:{function.lineno}", schema, isinstance(reads, ast.Constant) and reads.value is True, forwarded
        )


def all_routes_with_bodies() -> list[Route]:
    routes = []
    for path in sorted((ROOT / "services/gateway/gateway").glob("*.py")):
        routes += routes_with_bodies(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return routes


def gateway_calls(source: str, where: str, proxies: dict[str, str] | None = None) -> Iterator[Call]:
    tree = ast.parse(source)
    proxies = {**(proxies or {}), **_proxies(tree)}
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        declared = _declared_body(function)
        local: dict[str, str] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                schema = _checked_schema(node.value, {}, declared)
                if schema:
                    local[node.targets[0].id] = schema
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            target = node.func.value
            if not (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and target.attr in proxies
            ):
                continue
            bodies = [(i, s) for i, a in enumerate(node.args) if (s := _checked_schema(a, local, declared))]
            bodies += [(k.arg, s) for k in node.keywords if k.arg and (s := _checked_schema(k.value, local, declared))]
            yield Call(
                f"{where}:{node.lineno}",
                proxies[target.attr],
                node.func.attr,
                len(node.args),
                tuple(k.arg for k in node.keywords if k.arg),
                tuple(bodies),
            )


def all_gateway_calls() -> list[Call]:
    calls = []
    for path in sorted((ROOT / "services/gateway/gateway").glob("*.py")):
        calls += gateway_calls(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return calls


def rpc_methods(service_class: type) -> dict[str, Callable[..., Any]]:
    """Every ``@rpc`` of a nameko service class, inherited ones included."""
    return {
        name: member
        for name, member in inspect.getmembers(service_class, inspect.isfunction)
        if any(isinstance(e, Rpc) for e in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()))
    }


def signature_problem(method: Callable[..., Any], call: Call) -> str | None:
    """Why the gateway's call cannot bind to the method's parameters (``self`` aside), or None."""
    try:
        inspect.signature(method).bind(None, *([None] * call.positional), **dict.fromkeys(call.keywords))
    except TypeError as exc:
        return f"{call.where}: {call.service}.{call.method}{call.positional, call.keywords}: {exc}"
    return None


def _names(node: ast.expr, parameter: str) -> bool:
    """``parameter`` itself, or ``parameter or {}``."""
    if isinstance(node, ast.BoolOp):
        node = node.values[0]
    return isinstance(node, ast.Name) and node.id == parameter


def loaded_schema(method: Callable[..., Any], parameter: str, owner: type | None = None) -> type[Schema] | None:
    """The schema the method loads ``parameter`` with (``load(X, parameter)``), looked up where it is defined;
    also one call deep, where the method hands ``parameter`` to a helper of ``owner`` that loads it."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if getattr(node.func, "id", None) == "load" and len(node.args) >= 2 and _names(node.args[1], parameter):
            schema = node.args[0]
            name = schema.attr if isinstance(schema, ast.Attribute) else schema.id
            found = method.__globals__.get(name)
            return found if isinstance(found, type) and issubclass(found, Schema) else None
        helper = getattr(owner, getattr(node.func, "attr", ""), None) if owner else None
        if (
            isinstance(node.func, ast.Attribute)
            and getattr(node.func.value, "id", None) == "self"
            and inspect.isfunction(helper)
        ):
            for position, argument in enumerate(node.args):
                if _names(argument, parameter):
                    return loaded_schema(helper, parameter_of(helper, position))
    return None


def parameter_of(method: Callable[..., Any], position: int | str) -> str:
    if isinstance(position, str):
        return position
    return list(inspect.signature(method).parameters)[position + 1]  # after self


_KINDS: tuple[tuple[type[fields.Field], str], ...] = (
    (fields.Nested, "object"),
    (fields.Dict, "map"),
    (fields.List, "list"),
    (fields.Boolean, "boolean"),
    (fields.Integer, "integer"),
    (fields.Float, "number"),
    (fields.Decimal, "number"),
    (fields.AwareDateTime, "datetime"),
    (fields.DateTime, "datetime"),
    (fields.Date, "date"),
    (fields.String, "string"),
    (fields.Raw, "any"),
)


def _kind(field: fields.Field) -> str:
    return next((kind for cls, kind in _KINDS if isinstance(field, cls)), type(field).__name__)


def _fields(schema: Schema | type[Schema]) -> dict[str, fields.Field]:
    instance = schema() if isinstance(schema, type) else schema
    return {f.data_key or name: f for name, f in instance.fields.items() if not f.dump_only}


def schema_differences(gateway: Schema | type[Schema], service: Schema | type[Schema], path: str = "") -> list[str]:
    """Fields one schema has and the other lacks, fields whose types differ, and fields both limit to a list of
    values that disagree, down nested schemas."""
    ours, theirs = _fields(gateway), _fields(service)
    problems = [f"{path}{name}: only in the gateway's schema" for name in sorted(set(ours) - set(theirs))]
    problems += [f"{path}{name}: only in the service's schema" for name in sorted(set(theirs) - set(ours))]
    for name in sorted(set(ours) & set(theirs)):
        problems += field_differences(ours[name], theirs[name], f"{path}{name}")
    return problems


def _choices(field: fields.Field) -> tuple[str, ...] | None:
    """The values a ``OneOf`` validator of the field allows (None: no such validator)."""
    return next((tuple(v.choices) for v in field.validators if isinstance(v, validate.OneOf)), None)


def field_differences(ours: fields.Field, theirs: fields.Field, path: str) -> list[str]:
    if _kind(ours) != _kind(theirs):
        return [f"{path}: {_kind(ours)} in the gateway, {_kind(theirs)} in the service"]
    if None not in (_choices(ours), _choices(theirs)) and set(_choices(ours)) != set(_choices(theirs)):
        # the gateway refuses first: a value only the service knows never reaches it, and the document lies
        return [f"{path}: one of {sorted(_choices(ours))} in the gateway, {sorted(_choices(theirs))} in the service"]
    if isinstance(ours, fields.Nested) and isinstance(theirs, fields.Nested):
        return schema_differences(ours.schema, theirs.schema, f"{path}.")
    if isinstance(ours, fields.List) and isinstance(theirs, fields.List):
        return field_differences(ours.inner, theirs.inner, f"{path}[]")
    if isinstance(ours, fields.Dict) and isinstance(theirs, fields.Dict):
        return [
            p
            for key in ("key_field", "value_field")
            if getattr(ours, key) is not None and getattr(theirs, key) is not None
            for p in field_differences(getattr(ours, key), getattr(theirs, key), f"{path}{{}}")
        ]
    return []


def foreign_imports(service: str, source: str) -> list[str]:
    """Other services' packages a module of ``service`` imports (services meet only by events and RPC)."""
    others = set(SERVICES) - {service}
    found = []
    for node in ast.walk(ast.parse(source)):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and not node.level
            else []
        )
        found += [n for n in names if n.split(".")[0] in others]
    return found
