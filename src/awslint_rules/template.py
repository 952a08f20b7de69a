"""Template stage: resources, parameters, conditions, SAM Globals and AWS defaults over a Document.

The template knows no edges: the engine builds the graph from it, once per file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from . import sam
from .aws_defaults import AWS_DEFAULTS
from .intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Branch,
    Conditions,
    Ref,
    Resolver,
    assumed_conditions,
    can_hold,
    decide_conditions,
    within,
)
from .load import Document, Path

SAM_FUNCTION = sam.SAM_FUNCTION
LAMBDA_FUNCTION = "AWS::Lambda::Function"
FUNCTION_TYPES = frozenset({SAM_FUNCTION, LAMBDA_FUNCTION})
QUEUE = "AWS::SQS::Queue"


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    condition: str | None = None  # its `Condition`, unless that is certainly true
    # A resource SAM creates by itself (the queue of an SNS event's SqsSubscription): where it
    # is declared and the SAM resource findings on it belong to.
    declared_at: Path | None = None
    created_by: str | None = None

    @property
    def path(self) -> Path:
        return self.declared_at or ("Resources", self.logical_id)

    @property
    def properties_path(self) -> Path:
        return (*self.path, "Properties")

    @property
    def conditions(self) -> Conditions:
        return ((self.condition, True),) if self.condition else ()


@dataclass(frozen=True)
class Value:
    """A property value and where it came from: the resource, SAM Globals or an AWS default."""

    raw: Any
    path: Path
    default: bool = False


class Template:
    def __init__(self, document: Document, parameter_overrides: Mapping[str, str] = (),
                 region: str | None = None) -> None:
        self.document = document
        data = document.data
        self.path = document.path
        overrides = dict(parameter_overrides)
        self.parameters = _parameter_values(data.get("Parameters"), overrides)
        fixed = {name: overrides[name] for name in self.parameters if name in overrides}
        # a known Region decides conditions on it (CDK's `Fn::Equals [!Ref AWS::Region, ...]`)
        pseudo = {"AWS::Region": region} if region else {}
        self._fixed = {**fixed, **pseudo}
        self.known_conditions = decide_conditions(data.get("Conditions"), self._fixed)
        defaults = {name: value for name, value in self.parameters.items()
                    if name not in fixed and value is not UNKNOWN}
        self.resources = _resources(data.get("Resources"), self.known_conditions)
        self.resources.update(_sam_created(self.resources))
        mappings = data.get("Mappings")
        globals_ = data.get("Globals")
        self.globals: dict[str, Any] = globals_ if isinstance(globals_, dict) else {}
        self.resolver = Resolver(
            self.resources, self.parameters, mappings if isinstance(mappings, dict) else {},
            self.known_conditions,
            assumed_conditions(data.get("Conditions"), self._fixed, defaults),
        )
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.resources.values():
            self.by_type[resource.type].append(resource)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self.by_type.get(t, ())]

    def prop(self, resource: Resource, *keys: str | int) -> Value | None:
        """The property at `keys`, from the resource or else from its SAM Globals section.

        A list in both is the concatenation (SAM's merge), located at the resource's own list.
        """
        own = _dig(resource.properties, keys)
        section = sam.globals_section(self.globals, resource.type)
        inherited = _dig(section, keys) if section is not None else _MISSING
        if own is _MISSING and _behind_intrinsic(resource.properties, keys):
            return None  # SAM does not merge Globals into an `!If` block: the block replaces them
        if own is not _MISSING:
            if isinstance(own, list) and isinstance(inherited, list):
                own = sam.merge(inherited, own)
            return Value(own, (*resource.properties_path, *keys))
        if inherited is not _MISSING:
            return Value(inherited, ("Globals", sam.GLOBALS_SECTIONS[resource.type], *keys))
        return None

    def can_hold(self, conditions: Conditions) -> bool:
        """Whether the conditions can all take these truth values for some parameter values."""
        if conditions not in self._holding:
            self._holding[conditions] = can_hold(
                self.document.data.get("Conditions"), conditions, self._fixed,
                _declared_parameters(self.document.data))
        return self._holding[conditions]

    @cached_property
    def _holding(self) -> dict[Conditions, bool]:
        return {}

    def merged_properties(self, resource: Resource) -> dict[str, Any]:
        """The resource's properties with its SAM Globals merged in, as SAM merges them."""
        return self._merged.get(resource.logical_id, resource.properties)

    @cached_property
    def _merged(self) -> dict[str, dict[str, Any]]:
        merged = {}
        for resource in self.resources.values():
            section = sam.globals_section(self.globals, resource.type)
            if section is not None:
                merged[resource.logical_id] = sam.merge(section, resource.properties)
        return merged

    def prop_at(self, path: Path) -> Value | None:
        """The raw value at a template path (an event's or a mapping's own setting)."""
        found = _dig(self.document.data, path)
        return None if found is _MISSING else Value(found, path)

    def effective(self, resource: Resource, key: str) -> Value:
        """`prop`, or the AWS default (located at the logical id) when the property is absent."""
        found = self.prop(resource, key)
        if found is not None and found.raw is not None:
            return found
        return Value(self.default(resource.type, key), resource.path, default=True)

    @staticmethod
    def default(resource_type: str, key: str) -> Any:
        """The AWS default of an absent property (aws_defaults.py), UNKNOWN when none is known."""
        return AWS_DEFAULTS.get(f"{resource_type}.{key}", UNKNOWN)

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

    def declared_id(self, logical_id: str | None) -> str | None:
        """The logical id as written: a resource SAM creates belongs to its SAM resource."""
        resource = self.resources.get(logical_id) if logical_id else None
        return resource.created_by or logical_id if resource else logical_id


_MISSING: Any = object()


def _dig(mapping: Any, keys: tuple[str | int, ...]) -> Any:
    value = mapping
    for key in keys:
        if not _has(value, key):
            return _MISSING
        value = value[key]
    return value


def _behind_intrinsic(mapping: Any, keys: tuple[str | int, ...]) -> bool:
    """Whether some of `keys` lead to an intrinsic that stands where the rest would go."""
    value = mapping
    for depth, key in enumerate(keys):
        if depth and sam.is_intrinsic(value):
            return True
        if not _has(value, key):
            return False
        value = value[key]
    return False


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return isinstance(key, str) and key in container
    return isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container)


def _resources(section: Any, known_conditions: Mapping[str, bool]) -> dict[str, Resource]:
    """The resources that can be created: one whose `Condition` is certainly false never is."""
    if not isinstance(section, dict):
        return {}
    resources = {}
    for logical_id, body in section.items():
        if not (isinstance(body, dict) and isinstance(body.get("Type"), str)):
            continue
        condition = body.get("Condition") if isinstance(body.get("Condition"), str) else None
        if condition is not None and condition in known_conditions:
            if not known_conditions[condition]:
                continue
            condition = None
        properties = body.get("Properties")
        resources[logical_id] = Resource(
            logical_id, body["Type"], properties if isinstance(properties, dict) else {},
            condition,
        )
    return resources


def _sam_created(resources: Mapping[str, Resource]) -> dict[str, Resource]:
    """Resources SAM creates that checks must see: the queue of `SqsSubscription: true`."""
    created = {}
    for owner in resources.values():
        if owner.type not in sam.EVENT_OWNERS:
            continue
        for name, event, _ in sam.events_of(owner.type, owner.properties):
            props = event.get("Properties")
            subscription = props.get("SqsSubscription") if isinstance(props, dict) else None
            if event["Type"] == "SNS" and subscription in (True, "true", "True"):
                logical_id = sam.SQS_SUBSCRIPTION_QUEUE.format(owner=owner.logical_id, event=name)
                if logical_id not in resources:
                    created[logical_id] = Resource(
                        logical_id, QUEUE, {}, owner.condition,
                        declared_at=(*owner.properties_path, "Events", name),
                        created_by=owner.logical_id,
                    )
    return created


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


def undeclared_parameters(data: Mapping[str, Any], given: Mapping[str, str]) -> list[str]:
    """A note for each given parameter this template does not declare (one configuration
    serves many templates: it is ignored here)."""
    declared = _declared_parameters(data)
    return [f"parameter {name} ignored: not declared by this template"
            for name in given if name not in declared]


def _declared_parameters(data: Mapping[str, Any]) -> dict[str, Any]:
    """The template's `Parameters`: name -> declaration (not a mapping when malformed)."""
    section = data.get("Parameters")
    if not isinstance(section, dict):
        return {}
    return {name: body for name, body in section.items() if isinstance(name, str)}


def invalid_parameter(data: Mapping[str, Any], given: Mapping[str, str]) -> str | None:
    """`NAME=VALUE is not one of its AllowedValues (a, b)` for the first given value outside
    its declared parameter's AllowedValues (compared as strings; each element of a list
    parameter). Defaults are not checked, nor AllowedPattern: cfn-lint does that."""
    declared = _declared_parameters(data)
    for name, value in given.items():
        body = declared.get(name)
        allowed = body.get("AllowedValues") if isinstance(body, dict) else None
        if not isinstance(allowed, list) or not all(_is_scalar(v) for v in allowed):
            continue  # none, or written with an intrinsic: nothing certain to compare with
        texts = [_as_text(v) for v in allowed]
        kind = body.get("Type")
        is_list = isinstance(kind, str) and (kind.strip() == "CommaDelimitedList"
                                             or kind.strip().startswith("List<"))
        elements = [e.strip() for e in value.split(",")] if is_list else [value]
        if any(element not in texts for element in elements):
            return f"{name}={value} is not one of its AllowedValues ({', '.join(texts)})"
    return None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _as_text(value: Any) -> str:
    """A YAML scalar as CloudFormation reads it: `true` is "true", 5 is "5"."""
    return str(value).lower() if isinstance(value, bool) else str(value)
