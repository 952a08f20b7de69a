"""Declarative rules from the catalog: `match:` a resource type, optionally a JSONPath test.

The contract is documented in rules/README.md ("Declarative rules").
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import NO_VALUE, UNKNOWN, Conditions
from ..load import Path
from ..template import GLOBALS_SECTION, Resource, Template


@cache
def _compiled(expression: str) -> Any:
    from jsonpath_ng.ext import parse  # imported only when a rule uses `where`

    return parse(expression)


def declarative_check(t: Template, rule: Rule) -> Iterator[Hit]:
    match = rule.match or {}
    types = match.get("resource_type")
    for resource in t.of_type(*([types] if isinstance(types, str) else types or ())):
        for value, matched_at, when in _matches(t, resource, match):
            yield rule.hit(
                _message(match.get("message") or rule.summary, resource, value),
                _place(t, resource, match.get("at"), matched_at),
                resource.logical_id,
                when=when,
            )


def _matches(
    t: Template, resource: Resource, match: dict[str, Any]
) -> Iterator[tuple[Any, Path | None, Conditions]]:
    where = match.get("where")
    if where is None:
        yield "", None, ()
        return
    found = _compiled(where).find(_merged_properties(t, resource))
    mode = match.get("when", "present")
    if mode == "absent":
        if not found:
            yield "", None, ()
        return
    for datum in found:
        source = t.prop(resource, *_datum_path(datum))  # the resource's own value, or Globals'
        path = source.path if source is not None else None
        for branch in t.branches(datum.value):
            if branch.value is UNKNOWN or branch.value is NO_VALUE:
                continue
            if mode == "present" or _equal(branch.value, match.get("equals")):
                yield branch.value, path, branch.conditions


def _merged_properties(t: Template, resource: Resource) -> dict[str, Any]:
    section = GLOBALS_SECTION.get(resource.type)
    inherited = t.globals.get(section) if section else None
    return _merge(inherited, resource.properties) if isinstance(inherited, dict) else (
        resource.properties
    )


def _merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in own.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else (
            value
        )
    return merged


def _place(t: Template, resource: Resource, at: str | None, matched_at: Path | None) -> Place:
    if at:
        steps = tuple(int(s) if s.isdigit() else s for s in str(at).split("."))
        path = (*resource.path, *steps)
        if t.prop_at(path) is not None:
            return Place(path)
    if matched_at is not None and t.prop_at(matched_at) is not None:
        return Place(matched_at)
    return Place(resource.path, key=True)


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
    return (
        template.replace("{resource}", resource.logical_id)
        .replace("{type}", resource.type)
        .replace("{value}", str(value))
    )
