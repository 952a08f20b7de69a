"""Declarative rules from the catalog: `match:` a resource type and, optionally, a JSONPath."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import UNKNOWN
from ..load import Path
from ..template import Resource, Template


@cache
def _compiled(expression: str) -> Any:
    from jsonpath_ng.ext import parse

    return parse(expression)


def declarative_check(t: Template, rule: Rule) -> Iterator[Hit]:
    match = rule.match or {}
    types = match.get("resource_type")
    for resource in t.of_type(*([types] if isinstance(types, str) else types or ())):
        for path, value in _matches(t, resource, match):
            yield rule.hit(
                _message(match.get("message", rule.summary), resource, value),
                Place(path, key=path == resource.path),
                resource.logical_id,
            )


def _matches(t: Template, resource: Resource, match: dict[str, Any]) -> Iterator[tuple[Path, Any]]:
    where = match.get("where")
    if where is None:
        at = match.get("at")
        yield ((*resource.path, at) if at else resource.path), resource.type
        return
    found = _compiled(where).find(resource.properties)
    if match.get("absent"):
        if not found:
            yield resource.path, None
        return
    for datum in found:
        path = (*resource.properties_path, *_datum_path(datum))
        value = t.resolver.one(datum.value)
        if value is UNKNOWN:
            continue
        if "equals" not in match or _equal(value, match["equals"]):
            yield path, value


def _datum_path(datum: Any) -> Path:
    steps: list[str | int] = []
    while datum is not None and datum.path is not None:
        fields = getattr(datum.path, "fields", None)
        index = getattr(datum.path, "index", None)
        if fields:
            steps.append(fields[0])
        elif index is not None:
            steps.append(index)
        datum = datum.context
    return tuple(reversed(steps))


def _equal(value: Any, expected: Any) -> bool:
    return str(value).lower() == str(expected).lower()


def _message(template: str, resource: Resource, value: Any) -> str:
    return template.replace("{resource}", resource.logical_id).replace("{value}", str(value))
