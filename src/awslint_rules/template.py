"""Template stage: resources, parameters, SAM Globals and AWS defaults over a Document."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .intrinsics import NO_VALUE, UNKNOWN, Branch, Ref, Resolver, within
from .load import Document, Path

if TYPE_CHECKING:
    from .graph import Graph
    from .sam_expansion import Expansion

SAM_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
FUNCTION_TYPES = frozenset({SAM_FUNCTION, LAMBDA_FUNCTION})

GLOBALS_SECTION = {
    SAM_FUNCTION: "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}

# AWS defaults for absent properties, from the CloudFormation resource reference.
AWS_DEFAULTS: dict[tuple[str, str], Any] = {
    (LAMBDA_FUNCTION, "Timeout"): 3,
    (SAM_FUNCTION, "Timeout"): 3,
    (LAMBDA_FUNCTION, "MemorySize"): 128,
    (SAM_FUNCTION, "MemorySize"): 128,
    ("AWS::SQS::Queue", "VisibilityTimeout"): 30,
    ("AWS::SQS::Queue", "MessageRetentionPeriod"): 345600,
}


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]

    @property
    def path(self) -> Path:
        return ("Resources", self.logical_id)

    @property
    def properties_path(self) -> Path:
        return ("Resources", self.logical_id, "Properties")



@dataclass(frozen=True)
class Value:
    """A property value and where it came from: the resource, SAM Globals or an AWS default."""

    raw: Any
    path: Path
    default: bool = False


class Template:
    def __init__(self, document: Document, parameter_overrides: Mapping[str, str] = ()) -> None:
        self.document = document
        data = document.data
        self.path = document.path
        self.resources = _resources(data.get("Resources"))
        self.parameters = _parameter_values(data.get("Parameters"), dict(parameter_overrides))
        mappings = data.get("Mappings")
        globals_ = data.get("Globals")
        self.globals: dict[str, Any] = globals_ if isinstance(globals_, dict) else {}
        self.resolver = Resolver(
            self.resources, self.parameters, mappings if isinstance(mappings, dict) else {}
        )
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.resources.values():
            self.by_type[resource.type].append(resource)

    @cached_property
    def graph(self) -> Graph:
        from .graph import build_graph

        return build_graph(self)

    @cached_property
    def expansion(self) -> Expansion:
        """What the stack holds after the SAM transform (counted once, for every check)."""
        from .sam_expansion import expand_count

        data = self.document.data
        return expand_count(data.get("Resources") or {}, data.get("Globals"), self.parameters)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self.by_type.get(t, ())]

    def prop(self, resource: Resource, *keys: str | int) -> Value | None:
        """The property at `keys`, from the resource or else from its SAM Globals section."""
        own = _dig(resource.properties, keys)
        if own is not _MISSING:
            return Value(own, (*resource.properties_path, *keys))
        section = GLOBALS_SECTION.get(resource.type)
        inherited = _dig(self.globals.get(section), keys) if section else _MISSING
        if inherited is not _MISSING:
            return Value(inherited, ("Globals", section, *keys))
        return None

    def prop_at(self, path: Path) -> Value | None:
        """The raw value at a template path (an event's or a mapping's own setting)."""
        found = _dig(self.document.data, path)
        return None if found is _MISSING else Value(found, path)

    def effective(self, resource: Resource, key: str) -> Value:
        """`prop`, or the AWS default (located at the logical id) when the property is absent."""
        found = self.prop(resource, key)
        if found is not None and found.raw is not None:
            return found
        return Value(self.default(resource, key), resource.path, default=True)

    @staticmethod
    def default(resource: Resource, key: str) -> Any:
        """The AWS default of an absent property, UNKNOWN when none is documented here."""
        return AWS_DEFAULTS.get((resource.type, key), UNKNOWN)

    def branches(self, value: Value | Any) -> list[Branch]:
        raw = value.raw if isinstance(value, Value) else value
        return self.resolver.resolve(raw)

    def values_along(self, start: Value | None, keys: tuple[str, ...] = ()) -> list[Branch]:
        """Every value `keys` below `start` can take, resolving intrinsics at each step.

        `DeadLetterConfig: !If [C, {Arn: ...}, !Ref AWS::NoValue]` followed by `Arn` gives the
        ARN when C is true and NO_VALUE when it is false; an unknown step stays UNKNOWN.
        """
        branches = self.branches(start) if start is not None else [Branch(NO_VALUE)]
        for key in keys:
            following: list[Branch] = []
            for branch in branches:
                if isinstance(branch.value, dict) and key in branch.value:
                    following += within(self.branches(branch.value[key]), branch.conditions)
                elif branch.value is UNKNOWN:
                    following.append(branch)
                else:
                    following.append(Branch(NO_VALUE, branch.conditions))
            branches = following
        return branches

    def absent_when(self, start: Value | None, keys: tuple[str, ...] = ()) -> list[Branch]:
        """The branches on which the property (or `keys` below it) is absent."""
        return [b for b in self.values_along(start, keys) if b.value is NO_VALUE or b.value is None]

    def resource_at(self, raw: Any) -> Resource | None:
        """The resource of this template that `raw` points at (Ref, GetAtt, Sub ARN...)."""
        ref = self.resolver.reference(raw)
        return self.resources.get(ref.logical_id) if ref else None

    def reference(self, raw: Any) -> Ref | None:
        return self.resolver.reference(raw)


_MISSING: Any = object()


def _dig(mapping: Any, keys: tuple[str | int, ...]) -> Any:
    value = mapping
    for key in keys:
        if not _has(value, key):
            return _MISSING
        value = value[key]
    return value


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return isinstance(key, str) and key in container
    return isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container)


def _resources(section: Any) -> dict[str, Resource]:
    if not isinstance(section, dict):
        return {}
    resources = {}
    for logical_id, body in section.items():
        if isinstance(body, dict) and isinstance(body.get("Type"), str):
            properties = body.get("Properties")
            resources[logical_id] = Resource(
                logical_id, body["Type"], properties if isinstance(properties, dict) else {}
            )
    return resources


def _parameter_values(section: Any, overrides: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, body in (section.items() if isinstance(section, dict) else ()):
        if name in overrides:
            values[name] = overrides[name]
        elif isinstance(body, dict) and "Default" in body:
            values[name] = body["Default"]
        else:
            values[name] = UNKNOWN
    return values
