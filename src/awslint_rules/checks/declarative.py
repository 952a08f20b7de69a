"""Declarative rules from the catalog: `match:` a resource type, optionally a JSONPath test.

The contract is documented in rules/README.md ("Declarative rules").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import NO_VALUE, UNKNOWN, Conditions
from ..load import Path
from ..model import Model
from ..template import Resource, Template

MATCH_KEYS = ("resource_type", "where", "when", "equals", "at", "message")
WHEN = ("present", "absent", "equals")
_RESOURCE_TYPE = re.compile(r"[A-Za-z0-9]+(::[A-Za-z0-9_@.-]+)+")


def validate_match(match: Any, compile_where: bool = True) -> list[str]:
    """The problems of a rule's `match:` mapping, each naming its key; [] when it is valid.

    Compiling `where` imports jsonpath-ng; built-in rules are compiled by the test suite, so a
    run that never uses them does not pay the import."""
    if not isinstance(match, dict):
        return ["match: must be a mapping with the keys " + ", ".join(MATCH_KEYS)]
    known = ", ".join(MATCH_KEYS)
    problems = [f"match.{key}: unknown key (known: {known})" for key in match
                if key not in MATCH_KEYS]
    types = match.get("resource_type")
    types = [types] if isinstance(types, str) else types
    if not (isinstance(types, list) and types and all(
            isinstance(t, str) and _RESOURCE_TYPE.fullmatch(t) for t in types)):
        problems.append("match.resource_type: must be a CloudFormation type string or a list of "
                        "them (e.g. AWS::Lambda::Url)")
    where, when = match.get("where"), match.get("when", "present")
    if where is not None and not isinstance(where, str):
        problems.append("match.where: must be a JSONPath expression string, e.g. '$.AuthType'")
    elif where is not None and compile_where:
        try:
            _compiled(where)
        except Exception as error:  # whatever jsonpath-ng raises, the rule cannot load
            problems.append(f"match.where: invalid JSONPath {where!r}: {str(error).strip()}")
    if when not in WHEN:
        problems.append("match.when: must be one of " + ", ".join(WHEN))
    elif "when" in match and where is None:
        problems.append("match.when: needs a where expression to test")
    if when == "equals" and match.get("equals") is None:
        problems.append("match.equals: required when when is equals")
    elif when in WHEN and when != "equals" and "equals" in match:
        problems.append("match.equals: only used when when is equals")
    elif isinstance(match.get("equals"), dict | list):
        problems.append("match.equals: must be a scalar (a string, number or boolean)")
    for key in ("at", "message"):
        if key in match and not (isinstance(match[key], str) and match[key].strip()):
            problems.append(f"match.{key}: must be a non-empty string")
    return problems


@cache
def _compiled(expression: str) -> Any:
    from jsonpath_ng.ext import parse  # imported only when a rule uses `where`

    return parse(expression)


def declarative_check(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
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
    found = _compiled(where).find(t.merged_properties(resource))
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
