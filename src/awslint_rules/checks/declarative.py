"""Declarative rules from the catalog: `match:` a resource type, optionally property conditions.

The contract is documented in rules/README.md ("Declarative rules").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import NO_VALUE, UNKNOWN, Conditions, variants
from ..load import Path
from ..model import Model
from ..template import Resource, Template

CONDITION_KEYS = ("where", "when", "equals", "not_equals", "default")
MATCH_KEYS = ("resource_type", *CONDITION_KEYS, "all", "at", "message")
WHEN = ("present", "absent", "equals", "not_equals")
COMPARING = ("equals", "not_equals")
_RESOURCE_TYPE = re.compile(r"[A-Za-z0-9]+(::[A-Za-z0-9_@.-]+)+")
_SCALAR = str | int | float | bool


@dataclass(frozen=True)
class Outcome:
    """One way a condition holds: the value tested, where it is, under which `Fn::If` branches."""

    value: Any
    path: Path | None
    conditions: Conditions = ()
    default: bool = False  # the property is absent: `value` is the `default` AWS uses


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
    if "all" in match:
        problems += _all_problems(match, compile_where)
    else:
        problems += _condition_problems(match, "match.", compile_where)
    for key in ("at", "message"):
        if key in match and not (isinstance(match[key], str) and match[key].strip()):
            problems.append(f"match.{key}: must be a non-empty string")
    return problems


def _all_problems(match: dict[str, Any], compile_where: bool) -> list[str]:
    conditions = match["all"]
    if not (isinstance(conditions, list) and conditions
            and all(isinstance(c, dict) for c in conditions)):
        return ["match.all: must be a list of conditions (mappings with where, when, ...)"]
    problems = [f"match.{key}: goes inside each condition of all, not beside it"
                for key in CONDITION_KEYS if key in match]
    known = ", ".join(CONDITION_KEYS)
    for number, condition in enumerate(conditions):
        prefix = f"match.all[{number}]."
        problems += [f"{prefix}{key}: unknown key (known: {known})" for key in condition
                     if key not in CONDITION_KEYS]
        if "where" not in condition:
            problems.append(f"{prefix}where: required in each condition of all")
        problems += _condition_problems(condition, prefix, compile_where)
    return problems


def _condition_problems(condition: dict[str, Any], prefix: str, compile_where: bool) -> list[str]:
    problems = []
    where, when = condition.get("where"), condition.get("when", "present")
    if where is not None and not isinstance(where, str):
        problems.append(f"{prefix}where: must be a JSONPath expression string, e.g. '$.AuthType'")
    elif where is not None and compile_where:
        try:
            _compiled(where)
        except Exception as error:  # whatever jsonpath-ng raises, the rule cannot load
            problems.append(f"{prefix}where: invalid JSONPath {where!r}: {str(error).strip()}")
    if when not in WHEN:
        return [*problems, f"{prefix}when: must be one of " + ", ".join(WHEN)]
    if "when" in condition and where is None:
        problems.append(f"{prefix}when: needs a where expression to test")
    for key in COMPARING:
        if when == key and condition.get(key) is None:
            problems.append(f"{prefix}{key}: required when when is {key}")
        elif when != key and key in condition:
            problems.append(f"{prefix}{key}: only used when when is {key}")
        elif when == key and not _scalars(condition[key]):
            problems.append(f"{prefix}{key}: must be a scalar (a string, number or boolean) or a "
                            "list of scalars")
    if "default" in condition and when not in COMPARING:
        problems.append(f"{prefix}default: only used when when is equals or not_equals")
    elif "default" in condition and not isinstance(condition["default"], _SCALAR):
        problems.append(f"{prefix}default: must be a scalar (a string, number or boolean)")
    return problems


def _scalars(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(v, _SCALAR) for v in values)


# The JSONPath the built-in rules use: `$`, then `.Key`, `..Key` (at any depth), `[*]`, `[2]`.
_SIMPLE_PATH = re.compile(r"\$(?:\.\.?[A-Za-z0-9_]+|\[\*\]|\[\d+\])*")
_STEP = re.compile(r"(\.\.?)([A-Za-z0-9_]+)|\[(\*|\d+)\]")


def find(expression: str, data: Any) -> list[tuple[Any, Path]]:
    """The values `expression` matches in `data`, with their paths, as jsonpath-ng finds them.
    Simple paths are walked here (jsonpath-ng's import and parser cost a short run more than
    all the rules); anything else goes to jsonpath-ng."""
    if not _SIMPLE_PATH.fullmatch(expression):
        return [(datum.value, _datum_path(datum)) for datum in _compiled(expression).find(data)]
    found: list[tuple[Any, Path]] = [(data, ())]
    for dots, key, index in _STEP.findall(expression[1:]):
        if dots == "..":
            found = [match for value, path in found for match in _descendants(value, path, key)]
        elif dots:
            found = [(value[key], (*path, key)) for value, path in found
                     if isinstance(value, dict) and key in value]
        else:
            found = [match for value, path in found for match in _indexed(value, path, index)]
    return found


def _indexed(value: Any, path: Path, index: str) -> list[tuple[Any, Path]]:
    if index == "*":
        return [(item, (*path, step)) for step, item in _children(value)]
    position = int(index)
    return [(value[position], (*path, position))] if isinstance(value, list) and \
        position < len(value) else []


def _descendants(value: Any, path: Path, key: str) -> list[tuple[Any, Path]]:
    """`..key`: the key here, then in each child, depth first (jsonpath-ng's order)."""
    found = [(value[key], (*path, key))] if isinstance(value, dict) and key in value else []
    for step, child in _children(value):
        found += _descendants(child, (*path, step), key)
    return found


def _children(value: Any) -> list[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    return list(enumerate(value)) if isinstance(value, list) else []


@cache
def _compiled(expression: str) -> Any:
    from jsonpath_ng.ext import parse  # imported only when a rule uses `where`

    return parse(expression)


def declarative_check(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    match = rule.match or {}
    types = match.get("resource_type")
    conditions = match.get("all") or [match]
    for resource in t.of_type(*([types] if isinstance(types, str) else types or ())):
        seen: set[tuple[Any, ...]] = set()
        found: dict[tuple[str, Place], list[Conditions]] = {}
        for shape in variants(t.merged_properties(resource), t.known_conditions):
            if not isinstance(shape.value, dict):
                continue
            holding = [_holds(t, resource, shape.value, c) for c in conditions]
            for outcomes in _combinations(holding, Outcome("", None, shape.conditions), seen):
                message = _message(match.get("message") or rule.summary, resource, outcomes[0])
                place = _place(t, resource, match.get("at"), outcomes[0].path)
                found.setdefault((message, place), []).append(_merged(outcomes) or ())
        for (message, place), whens in found.items():
            for when in _simplified(whens):
                yield rule.hit(message, place, resource.logical_id, when=when)


def _simplified(whens: list[Conditions]) -> list[Conditions]:
    """The same finding under `C` true and under `C` false is one finding without `C` (the
    shapes of an unrelated `Fn::If`, e.g. on Tags, do not split a finding)."""
    found = set(whens)
    merged = True
    while merged:
        merged = False
        for when in sorted(found):
            for index, (name, truth) in enumerate(when):
                other = (*when[:index], (name, not truth), *when[index + 1:])
                if other in found:
                    found -= {when, other}
                    found.add((*when[:index], *when[index + 1:]))
                    merged = True
                    break
            if merged:
                break
    return sorted(found)


def _combinations(holding: list[list[Outcome]], shape: Outcome,
                  seen: set[tuple[Any, ...]]) -> Iterator[tuple[Outcome, ...]]:
    """One tuple per consistent way every condition holds (in the properties' `shape`, chosen
    by the `Fn::If`s it needs), each reported once."""
    for outcomes in product(*holding, [shape]):
        when = _merged(outcomes)
        key = (tuple(o.path for o in outcomes), when)
        if when is not None and key not in seen:
            seen.add(key)
            yield outcomes  # the shape last: outcomes[0] is the first condition's


def _merged(outcomes: tuple[Outcome, ...]) -> Conditions | None:
    """The `Fn::If` branches all outcomes need together; None when two of them contradict."""
    needed: dict[str, bool] = {}
    for name, value in (c for o in outcomes for c in o.conditions):
        if needed.setdefault(name, value) != value:
            return None
    return tuple(sorted(needed.items()))


def _holds(t: Template, resource: Resource, properties: dict[str, Any],
           condition: dict[str, Any]) -> list[Outcome]:
    """Every way `condition` holds for `resource`; [] when it does not (or cannot be known)."""
    where = condition.get("where")
    if where is None:
        return [Outcome("", None)]
    found = find(where, properties)
    mode = condition.get("when", "present")
    if not found:
        return [Outcome("", None)] if mode == "absent" else _by_default(condition, ())
    if mode == "absent" and len(found) > 1:
        return []  # several values: one of them being `!Ref AWS::NoValue` leaves the others
    outcomes = []
    for value, steps in found:
        source = t.prop(resource, *steps)  # the resource's own value, or Globals'
        path = source.path if source is not None else None
        for branch in t.branches(value):
            if branch.value is NO_VALUE:  # `!Ref AWS::NoValue`: absent on this branch
                outcomes += ([Outcome("", None, branch.conditions)] if mode == "absent"
                             else _by_default(condition, branch.conditions))
            elif _holds_for(mode, condition, branch.value):
                outcomes.append(Outcome(branch.value, path, branch.conditions))
    return outcomes


def _holds_for(mode: str, condition: dict[str, Any], value: Any) -> bool:
    """Whether a set property's value satisfies the condition: present even when unknown."""
    if mode in ("present", "absent"):
        return mode == "present"
    return value is not UNKNOWN and _tested(mode, condition, value)


def _by_default(condition: dict[str, Any], conditions: Conditions) -> list[Outcome]:
    """An absent property is tested as its `default`; without one it matches nothing."""
    mode = condition.get("when", "present")
    if "default" in condition and _tested(mode, condition, condition["default"]):
        return [Outcome(condition["default"], None, conditions, default=True)]
    return []


def _tested(mode: str, condition: dict[str, Any], value: Any) -> bool:
    if not isinstance(value, _SCALAR):
        return False  # a mapping or a list is neither equal nor unequal to a scalar
    expected = condition[mode]
    equal = any(_equal(value, e) for e in (expected if isinstance(expected, list) else [expected]))
    return equal if mode == "equals" else not equal


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
        indices = getattr(datum.path, "indices", None) or (getattr(datum.path, "index", None),)
        if fields:
            steps.append(fields[0])
        elif indices[0] is not None:
            steps.append(indices[0])
        datum = datum.context
    return tuple(reversed(steps))


def _equal(value: Any, expected: Any) -> bool:
    return str(value).lower() == str(expected).lower()


def _message(template: str, resource: Resource, first: Outcome) -> str:
    value = str(first.value).lower() if isinstance(first.value, bool) else str(first.value)
    return (
        template.replace("{resource}", resource.logical_id)
        .replace("{type}", resource.type)
        .replace("{value}", f"unset (default {value})" if first.default else value)
    )
