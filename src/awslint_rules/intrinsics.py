"""Intrinsic function resolution: a raw template value -> the values it can take.

A resolved value is a concrete scalar (or list/mapping), a `Ref` to a resource of this template,
`NO_VALUE` (AWS::NoValue) or `UNKNOWN`. `Fn::If` yields one `Branch` per side, tagged with its
condition, so rules can report the branch that violates the advice and name the condition.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

MAX_BRANCHES = 32
MAX_DEPTH = 24


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN: Any = _Marker("UNKNOWN")
NO_VALUE: Any = _Marker("NO_VALUE")

Conditions = tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Ref:
    """A reference to a resource of this template (`!Ref X`, `!GetAtt X.Arn`, `${X}` in an ARN)."""

    logical_id: str
    attribute: str | None = None
    qualifier: str | None = None


@dataclass(frozen=True)
class Branch:
    value: Any
    conditions: Conditions = ()


@dataclass(frozen=True)
class Located:
    """A value as written under `Fn::If`s: the value, its template path and the conditions."""

    value: Any
    path: tuple[str | int, ...]
    conditions: Conditions = ()


def alternatives(raw: Any, path: tuple[str | int, ...], conditions: Conditions = (),
                 known: Mapping[str, bool] | None = None) -> list[Located]:
    """Each side of the `Fn::If`s at `raw` (recursively) with its path and conditions, or `raw`.

    The one `Fn::If` walker for structure: a rule's `Targets: !If [C, [...], [...]]` gives both
    lists, each item then located where it is written. `known` conditions take one side only.
    """
    argument = raw.get("Fn::If") if isinstance(raw, dict) and len(raw) == 1 else None
    if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
        return [Located(raw, path, conditions)]
    name = argument[0]
    found = []
    for truth, index in ((True, 1), (False, 2)):
        if known is not None and known.get(name, truth) != truth:
            continue
        extra = () if known is not None and name in known else ((name, truth),)
        merged = merge_conditions(conditions, extra)
        if merged is not None:
            found += alternatives(argument[index], (*path, "Fn::If", index), merged, known)
    return found


def items(raw: Any, path: tuple[str | int, ...], conditions: Conditions = (),
          known: Mapping[str, bool] | None = None) -> list[Located]:
    """The items of a list that may be (or hold) `Fn::If`s, each with its path and conditions."""
    found = []
    for listing in alternatives(raw, path, conditions, known):
        if isinstance(listing.value, list):
            for index, item in enumerate(listing.value):
                found += alternatives(item, (*listing.path, index), listing.conditions, known)
    return [item for item in found if item.value != {"Ref": "AWS::NoValue"}]


def describe(conditions: Conditions) -> str:
    """'when condition IsProd is true and UseDlq is false', or '' for no condition."""
    if not conditions:
        return ""
    parts = [f"{name} is {'true' if truth else 'false'}" for name, truth in conditions]
    return "when condition " + " and ".join(parts)


def merge_conditions(*sets: Conditions) -> Conditions | None:
    """The union of condition sets, or None when a condition would be both true and false."""
    merged: dict[str, bool] = {}
    for conditions in sets:
        for name, truth in conditions:
            if merged.setdefault(name, truth) != truth:
                return None
    return tuple(sorted(merged.items()))


MAX_VARIANTS = 16
_ABSENT = object()  # an `Fn::If` side that is `!Ref AWS::NoValue`: the key is left out


def variants(raw: Any, known: Mapping[str, bool], limit: int = MAX_VARIANTS) -> list[Branch]:
    """`raw` with each `Fn::If` that chooses between structures (mappings, lists, NoValue)
    replaced by one of its sides, once per consistent choice, with the conditions it needs.
    An `Fn::If` between scalars is kept (resolving values follows it); past `limit` variants,
    `raw` is returned as it is."""
    found = _variants(raw, known, limit)
    if found is None:
        return [Branch(raw)]
    return [Branch(NO_VALUE if b.value is _ABSENT else b.value, b.conditions) for b in found]


def _variants(raw: Any, known: Mapping[str, bool], limit: int) -> list[Branch] | None:
    if isinstance(raw, dict) and _structural_if(raw):
        condition, when_true, when_false = raw["Fn::If"]
        sides = [(when_true, True), (when_false, False)]
        if condition in known:
            sides = [side for side in sides if side[1] == known[condition]]
        found = []
        for side, truth in sides:
            for branch in _variants(side, known, limit) or [Branch(side)]:
                merged = merge_conditions(((condition, truth),), branch.conditions)
                if merged is not None:
                    found.append(Branch(branch.value, merged))
        return found if len(found) <= limit else None
    if raw == {"Ref": "AWS::NoValue"}:
        return [Branch(_ABSENT)]
    if isinstance(raw, dict):
        return _combined(raw, list(raw.items()), known, limit, dict)
    if isinstance(raw, list):
        return _combined(raw, list(enumerate(raw)), known, limit,
                         lambda pairs: [v for _, v in pairs])
    return [Branch(raw)]


def _combined(raw: Any, pairs: list[tuple[Any, Any]], known: Mapping[str, bool], limit: int,
              build: Callable[[Any], Any]) -> list[Branch] | None:
    """The variants of a mapping's values (or a list's items), combined; `raw` itself when
    none of them has a structural `Fn::If`."""
    choices = []
    for _, value in pairs:
        options = _variants(value, known, limit)
        if options is None:
            return None
        choices.append(options)
    if all(len(o) == 1 and o[0].value is v for o, (_, v) in zip(choices, pairs, strict=True)):
        return [Branch(raw)]
    partial: list[tuple[list[tuple[Any, Any]], Conditions]] = [([], ())]
    for (key, _), options in zip(pairs, choices, strict=True):
        partial = [([*kept, (key, option.value)], merged) for kept, conditions in partial
                   for option in options
                   if (merged := merge_conditions(conditions, option.conditions)) is not None]
        if len(partial) > limit:
            return None
    return [Branch(build([(k, v) for k, v in kept if v is not _ABSENT]), conditions)
            for kept, conditions in partial]


def _structural_if(raw: dict[str, Any]) -> bool:
    argument = raw.get("Fn::If") if len(raw) == 1 else None
    if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
        return False
    return any(side == {"Ref": "AWS::NoValue"} or isinstance(side, list)
               or (isinstance(side, dict) and not _is_intrinsic(side)) for side in argument[1:])


def _is_intrinsic(raw: dict[str, Any]) -> bool:
    return (len(raw) == 1 and next(iter(raw)) in ("Ref", "Condition")) or any(
        str(key).startswith("Fn::") for key in raw)


def within(branches: Iterable[Branch], conditions: Conditions) -> list[Branch]:
    """The branches that can hold under `conditions`, each carrying them too."""
    results = []
    for branch in branches:
        merged = merge_conditions(conditions, branch.conditions)
        if merged is not None:
            results.append(Branch(branch.value, merged))
    return results


def combine(*alternatives: list[Branch]) -> Iterator[tuple[tuple[Any, ...], Conditions]]:
    """Every consistent combination of branches (a condition is never both true and false)."""
    for combo in itertools.islice(itertools.product(*alternatives), MAX_BRANCHES * 4):
        conditions = merge_conditions(*(branch.conditions for branch in combo))
        if conditions is not None:
            yield tuple(branch.value for branch in combo), conditions


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return None
    return None


_SUB_TOKEN = re.compile(r"\$\{([^}]*)\}")
_FUNCTION_ARN = re.compile(
    r"^(?:arn:[^:]*:lambda:[^:]*:[^:]*:function:)?\x00(\d+)\x00(?::([^:/\x00\x01]+))?$"
)
_RESOURCE_ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:(?:[A-Za-z-]+[:/])?\x00(\d+)\x00$")
_INVOCATIONS = re.compile(r"functions/(.+)/(?:response-streaming-)?invocations")


class Resolver:
    def __init__(
        self,
        resource_ids: Mapping[str, Any],
        parameters: Mapping[str, Any],
        mappings: Mapping[str, Any],
        known_conditions: Mapping[str, bool] | None = None,
        assumed: Mapping[str, Conditions] | None = None,
    ) -> None:
        self._resources = resource_ids
        self._parameters = parameters
        self._mappings = mappings
        self.known_conditions: Mapping[str, bool] = known_conditions or {}
        self._assumed: Mapping[str, Conditions] = assumed or {}
        # Linked from the other templates of a run (assembly.py): export name -> the exporting
        # stack's value; (nested stack resource, "Outputs.Name") -> the nested template's value.
        self.imports: dict[str, Any] = {}
        self.outputs: dict[tuple[str, str], Any] = {}
        self._functions: dict[str, Callable[[Any, int], list[Branch]]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::If": self._if,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::ImportValue": self._import_value,
        }

    def resolve(self, raw: Any, depth: int = 0) -> list[Branch]:
        if depth > MAX_DEPTH:
            return [Branch(UNKNOWN)]
        if isinstance(raw, dict) and len(raw) == 1:
            (name, argument), = raw.items()
            if name in self._functions:
                return _capped(self._functions[name](argument, depth + 1))
            if name.startswith("Fn::") or name == "Condition":
                return [Branch(UNKNOWN)]
        return [Branch(raw)]

    def one(self, raw: Any) -> Any:
        """The value when it does not depend on a condition, else UNKNOWN."""
        branches = self.resolve(raw)
        values = {repr(b.value) for b in branches}
        return branches[0].value if len(values) == 1 else UNKNOWN

    def reference(self, raw: Any) -> Ref | None:
        """The resource of this template that `raw` points at on every branch, if it is one."""
        refs = {b.value for b in self.resolve(raw) if isinstance(b.value, Ref)}
        if len(refs) == 1 and all(isinstance(b.value, Ref) for b in self.resolve(raw)):
            return refs.pop()
        return None

    def _ref(self, name: Any, depth: int) -> list[Branch]:
        if not isinstance(name, str):
            return [Branch(UNKNOWN)]
        if name == "AWS::NoValue":
            return [Branch(NO_VALUE)]
        if name in self._parameters:
            return within(self.resolve(self._parameters[name], depth), self._assumed.get(name, ()))
        if name in self._resources:
            return [Branch(Ref(name))]
        logical_id, dot, attribute = name.partition(".")
        if dot and logical_id in self._resources:
            return [Branch(Ref(logical_id, attribute))]
        return [Branch(UNKNOWN)]

    def _get_att(self, argument: Any, depth: int) -> list[Branch]:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            return [Branch(UNKNOWN)]
        logical_id, attribute = argument
        if not isinstance(logical_id, str) or logical_id not in self._resources:
            return [Branch(UNKNOWN)]
        if isinstance(attribute, str) and (logical_id, attribute) in self.outputs:
            return self.resolve(self.outputs[(logical_id, attribute)], depth)
        return [Branch(Ref(logical_id, attribute if isinstance(attribute, str) else None))]

    def _if(self, argument: Any, depth: int) -> list[Branch]:
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            return [Branch(UNKNOWN)]
        condition, when_true, when_false = argument
        if condition in self.known_conditions:  # decided by literals or given parameter values
            return self.resolve(when_true if self.known_conditions[condition] else when_false,
                                depth)
        return [
            Branch(b.value, ((condition, truth), *b.conditions))
            for truth, side in ((True, when_true), (False, when_false))
            for b in self.resolve(side, depth)
            if (condition, not truth) not in b.conditions
        ]

    def text(self, raw: Any, depth: int = 0) -> str | None:
        """`raw` as comparable text, pseudo parameters kept symbolic: `!Sub arn:${AWS::Partition}:
        sqs:${AWS::Region}:${AWS::AccountId}:jobs` -> 'arn:{AWS.Partition}:sqs:...:jobs'. None
        when a part is unknown or depends on a condition."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return str(raw)
        if not isinstance(raw, dict) or len(raw) != 1:
            return None
        (name, argument), = raw.items()
        if name == "Ref":
            return self._text_ref(argument, depth)
        if name == "Fn::Sub":
            return self._text_sub(argument, depth)
        if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 \
                and isinstance(argument[0], str) and isinstance(argument[1], list):
            parts = [self.text(part, depth + 1) for part in argument[1]]
            return None if None in parts else argument[0].join(parts)  # type: ignore[arg-type]
        value = self.one(raw)
        return value if isinstance(value, str) else None

    def _text_ref(self, name: Any, depth: int) -> str | None:
        if isinstance(name, str) and name.startswith("AWS::") and name != "AWS::NoValue":
            return "{" + name.replace("::", ".") + "}"
        if isinstance(name, str) and name in self._parameters:
            return self.text(self._parameters[name], depth + 1)
        return None

    def _text_sub(self, argument: Any, depth: int) -> str | None:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str):
            return None
        pieces: list[str] = []
        position = 0
        for match in _SUB_TOKEN.finditer(argument):
            pieces.append(argument[position : match.start()])
            name = match.group(1)
            if name.startswith("!"):
                piece: str | None = "${" + name[1:] + "}"
            elif name in variables:
                piece = self.text(variables[name], depth + 1)
            else:
                piece = self._text_ref(name, depth)
            if piece is None:
                return None
            pieces.append(piece)
            position = match.end()
        pieces.append(argument[position:])
        return "".join(pieces)

    def _sub(self, argument: Any, depth: int) -> list[Branch]:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            argument, variables = argument
        if not isinstance(argument, str):
            return [Branch(UNKNOWN)]
        pieces: list[list[Branch]] = []
        position = 0
        for match in _SUB_TOKEN.finditer(argument):
            pieces.append([Branch(argument[position : match.start()])])
            name = match.group(1)
            if name.startswith("!"):
                pieces.append([Branch("${" + name[1:] + "}")])
            elif name in variables:
                pieces.append(self.resolve(variables[name], depth))
            else:
                pieces.append(self._ref(name, depth))
            position = match.end()
        pieces.append([Branch(argument[position:])])
        return self._concatenate(pieces)

    def _join(self, argument: Any, depth: int) -> list[Branch]:
        if not isinstance(argument, list) or len(argument) != 2:
            return [Branch(UNKNOWN)]
        delimiter, parts = argument
        if not isinstance(delimiter, str):
            return [Branch(UNKNOWN)]
        results: list[Branch] = []
        for listing in self.resolve(parts, depth):
            if not isinstance(listing.value, list):
                results.append(Branch(UNKNOWN, listing.conditions))
                continue
            pieces: list[list[Branch]] = []
            for index, part in enumerate(listing.value):
                if index:
                    pieces.append([Branch(delimiter)])
                pieces.append(self.resolve(part, depth))
            results.extend(within(self._concatenate(pieces), listing.conditions))
        return results

    def _concatenate(self, pieces: list[list[Branch]]) -> list[Branch]:
        results = []
        for values, conditions in combine(*pieces):
            results.append(Branch(_text_or_reference(values), conditions))
            if len(results) >= MAX_BRANCHES:
                break
        return results

    def _find_in_map(self, argument: Any, depth: int) -> list[Branch]:
        if not isinstance(argument, list) or len(argument) < 3:
            return [Branch(UNKNOWN)]
        results = []
        for keys, conditions in combine(*(self.resolve(a, depth) for a in argument[:3])):
            value: Any = self._mappings
            for key in keys:
                found = isinstance(value, dict) and isinstance(key, str)  # a list is no key
                value = value.get(key, UNKNOWN) if found else UNKNOWN
            if value is UNKNOWN and len(argument) > 3:
                value = argument[3].get("DefaultValue", UNKNOWN) if isinstance(
                    argument[3], dict
                ) else UNKNOWN
            results.extend(within(self.resolve(value, depth), conditions))
        return results

    def _select(self, argument: Any, depth: int) -> list[Branch]:
        if not isinstance(argument, list) or len(argument) != 2:
            return [Branch(UNKNOWN)]
        results = []
        for (index, listing), conditions in combine(
            self.resolve(argument[0], depth), self.resolve(argument[1], depth)
        ):
            number = as_number(index)
            if isinstance(listing, list) and isinstance(number, int) and 0 <= number < len(listing):
                results.extend(within(self.resolve(listing[number], depth), conditions))
            else:
                results.append(Branch(UNKNOWN, conditions))
        return results

    def _import_value(self, argument: Any, depth: int) -> list[Branch]:
        name = self.one(argument) if self.imports else UNKNOWN
        if isinstance(name, str) and name in self.imports:
            return self.resolve(self.imports[name], depth)
        return [Branch(UNKNOWN)]

    def _split(self, argument: Any, depth: int) -> list[Branch]:
        if not isinstance(argument, list) or len(argument) != 2:
            return [Branch(UNKNOWN)]
        results = []
        for (delimiter, source), conditions in combine(
            self.resolve(argument[0], depth), self.resolve(argument[1], depth)
        ):
            if isinstance(source, Ref) and isinstance(delimiter, str) and delimiter:
                source = self._shape(source, depth)
            if isinstance(source, tuple):
                results.append(Branch(_split_tokens(source, delimiter), conditions))
            else:
                parts = source.split(delimiter) if _both_text(delimiter, source) else UNKNOWN
                results.append(Branch(parts, conditions))
        return results

    def _shape(self, ref: Ref, depth: int) -> tuple[Any, ...] | None:
        """What a `Ref`/`GetAtt` of a resource of this template returns when that is an ARN or
        URL of a known shape, as tokens: text, UNKNOWN (partition, region, account...) and the
        Refs that name resources (`Fn::Select [6, Fn::Split [":", !Ref Alias]]` is its
        function)."""
        resource = self._resources.get(ref.logical_id)
        kind = getattr(resource, "type", None)
        shape = ARN_SHAPES.get((kind, ref.attribute)) if isinstance(kind, str) else None
        if shape is None:
            return None
        names = {"name": Ref(ref.logical_id, _NAME_ATTRIBUTES.get(kind)), "function": UNKNOWN,
                 "alias": UNKNOWN}
        if kind in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            properties = getattr(resource, "properties", {})
            names["function"] = self._function_name(properties.get("FunctionName"), depth)
            alias = self.one(properties.get("Name")) if "Name" in properties else UNKNOWN
            names["alias"] = alias if isinstance(alias, str) else UNKNOWN
        return tuple(names.get(token, token) if token in _PLACEHOLDERS else token
                     for token in shape)

    def _function_name(self, raw: Any, depth: int) -> Any:
        """The function an alias or version belongs to: a Ref of it, its name, or UNKNOWN."""
        branches = self.resolve(raw, depth)
        value = branches[0].value if len(branches) == 1 else UNKNOWN
        if isinstance(value, Ref) and value.attribute in (None, "Arn"):
            return Ref(value.logical_id)
        return value if isinstance(value, str) and ":" not in value else UNKNOWN


# (resource type, attribute: None for `Ref`) -> the shape of the ARN or URL it returns: text,
# UNKNOWN, and placeholders for the resource's name, an alias's or version's function and alias.
_PLACEHOLDERS = frozenset({"name", "function", "alias"})


def _arn(service: str, resource: str, *rest: Any) -> tuple[Any, ...]:
    return ("arn:", UNKNOWN, f":{service}:", UNKNOWN, ":", UNKNOWN, f":{resource}", *rest)


_FUNCTION_ARN_SHAPE = _arn("lambda", "function:", "name")
_ALIAS_ARN_SHAPE = _arn("lambda", "function:", "function", ":", "alias")
_QUEUE_ARN_SHAPE = _arn("sqs", "", "name")
_TOPIC_ARN_SHAPE = _arn("sns", "", "name")
_TABLE_ARN_SHAPE = _arn("dynamodb", "table/", "name")
ARN_SHAPES: dict[tuple[str, str | None], tuple[Any, ...]] = {
    ("AWS::Lambda::Function", "Arn"): _FUNCTION_ARN_SHAPE,
    ("AWS::Serverless::Function", "Arn"): _FUNCTION_ARN_SHAPE,
    ("AWS::Lambda::Alias", None): _ALIAS_ARN_SHAPE,
    ("AWS::Lambda::Alias", "AliasArn"): _ALIAS_ARN_SHAPE,
    ("AWS::Lambda::Version", None): _arn("lambda", "function:", "function", ":", UNKNOWN),
    ("AWS::SQS::Queue", "Arn"): _QUEUE_ARN_SHAPE,
    ("AWS::SQS::Queue", None): ("https://sqs.", UNKNOWN, ".amazonaws.com/", UNKNOWN, "/", "name"),
    ("AWS::SNS::Topic", None): _TOPIC_ARN_SHAPE,
    ("AWS::SNS::Topic", "TopicArn"): _TOPIC_ARN_SHAPE,
    ("AWS::Kinesis::Stream", "Arn"): _arn("kinesis", "stream/", "name"),
    ("AWS::DynamoDB::Table", "Arn"): _TABLE_ARN_SHAPE,
    ("AWS::DynamoDB::Table", "StreamArn"): (*_TABLE_ARN_SHAPE, "/stream/", UNKNOWN),
}
# The attribute that is a resource's name, where `Ref` returns something else (a URL, an ARN).
_NAME_ATTRIBUTES = {"AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName"}


def _split_tokens(tokens: tuple[Any, ...], delimiter: str) -> list[Any]:
    """Split an ARN given as tokens: a part that is one whole token other than text is that
    token (a Ref, UNKNOWN), a part of text only is the text, anything else UNKNOWN."""
    marked = "".join(t if isinstance(t, str) else f"\x00{i}\x00" for i, t in enumerate(tokens))
    parts: list[Any] = []
    for part in marked.split(delimiter):
        whole = re.fullmatch(r"\x00(\d+)\x00", part)
        if whole:
            parts.append(tokens[int(whole.group(1))])
        else:
            parts.append(UNKNOWN if "\x00" in part else part)
    return parts


def _capped(branches: list[Branch]) -> list[Branch]:
    """At most MAX_BRANCHES; what is cut off stands as UNKNOWN so nothing looks fixed that isn't."""
    if len(branches) <= MAX_BRANCHES:
        return branches
    return [*branches[: MAX_BRANCHES - 1], Branch(UNKNOWN)]


def _both_text(delimiter: Any, source: Any) -> bool:
    return isinstance(delimiter, str) and bool(delimiter) and isinstance(source, str)


def _text_or_reference(values: Iterable[Any]) -> Any:
    """Concatenate scalars; an ARN or integration URI built around a resource -> its Ref."""
    refs: list[Ref] = []
    text = []
    for value in values:
        if isinstance(value, Ref):
            text.append(f"\x00{len(refs)}\x00")
            refs.append(value)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text.append(str(value))
        else:
            text.append("\x01")
    joined = "".join(text)
    if not refs:
        return UNKNOWN if "\x01" in joined else joined
    inner = _INVOCATIONS.search(joined)
    candidate = inner.group(1) if inner else joined
    match = _FUNCTION_ARN.match(candidate)
    if match:
        ref = refs[int(match.group(1))]
        return Ref(ref.logical_id, ref.attribute, match.group(2))
    match = _RESOURCE_ARN.match(candidate)
    if match and not inner:
        return refs[int(match.group(1))]
    return UNKNOWN


def decide_conditions(section: Any, fixed: Mapping[str, Any]) -> dict[str, bool]:
    """The conditions whose value is certain: built from literals and the parameter values in
    `fixed` (given on the command line or in the configuration, never a `Default`). A resource
    whose condition is certainly false is never created; an `Fn::If` on a certain condition has
    one side."""
    section = section if isinstance(section, dict) else {}
    decided: dict[str, bool] = {}
    evaluator = _ConditionEvaluator(section, fixed)
    for name in section:
        truth = evaluator.condition(name, 0)
        if truth is not None:
            decided[name] = truth
    return decided


def assumed_conditions(section: Any, fixed: Mapping[str, Any],
                       defaults: Mapping[str, Any]) -> dict[str, Conditions]:
    """Parameter -> the conditions its `Default` decides, for the conditions that no other
    defaulted parameter takes part in. A value read from a `Default` carries them, so it is
    never paired with a branch that needs the parameter to differ from its default."""
    section = section if isinstance(section, dict) else {}
    fixed_only = decide_conditions(section, fixed)
    decided = decide_conditions(section, {**defaults, **fixed})
    assumed: dict[str, list[tuple[str, bool]]] = {}
    for name, truth in decided.items():
        if name in fixed_only:
            continue
        defaulted = _parameters_of(section, section[name], 0) & set(defaults)
        if len(defaulted) == 1:
            assumed.setdefault(defaulted.pop(), []).append((name, truth))
    return {parameter: tuple(sorted(pairs)) for parameter, pairs in assumed.items()}


def _parameters_of(section: Mapping[str, Any], raw: Any, depth: int) -> set[str]:
    """The names `Ref`ed by a condition, through the conditions it names."""
    if depth > MAX_DEPTH:
        return set()
    if isinstance(raw, list):
        return set().union(*(_parameters_of(section, item, depth + 1) for item in raw))
    if not isinstance(raw, dict):
        return set()
    if len(raw) == 1 and isinstance(raw.get("Ref"), str):
        return {raw["Ref"]}
    if len(raw) == 1 and isinstance(raw.get("Condition"), str):
        return _parameters_of(section, section.get(raw["Condition"]), depth + 1)
    return set().union(*(_parameters_of(section, value, depth + 1) for value in raw.values()))


MAX_ASSIGNMENTS = 256
_OTHER = "\x00another value"  # a parameter value equal to none of the template's literals


def can_hold(section: Any, wanted: Conditions, fixed: Mapping[str, Any],
             declared: Mapping[str, Any]) -> bool:
    """Whether some parameter values make every condition of `wanted` take its truth value:
    `IsDev` and `IsProd` (`!Equals [!Ref Stage, dev]`, `... prod`) are never true together.
    Only the literals the conditions compare a parameter with (and its AllowedValues) are
    tried; anything the evaluator cannot decide counts as possible."""
    section = section if isinstance(section, dict) else {}
    if len(wanted) < 2:
        return True
    names: set[str] = set()
    for condition, _ in wanted:
        names |= _parameters_of(section, section.get(condition), 0)
    names -= set(fixed)
    candidates = {name: _candidates(section, name, wanted, declared.get(name)) for name in
                  sorted(names)}
    count = 1
    for values in candidates.values():
        count *= len(values)
    if count > MAX_ASSIGNMENTS:
        return True
    for assignment in itertools.product(*candidates.values()):
        evaluator = _ConditionEvaluator(section, {**fixed, **dict(zip(candidates, assignment,
                                                                       strict=True))})
        if all(evaluator.condition(name, 0) in (truth, None) for name, truth in wanted):
            return True
    return False


def _candidates(section: Mapping[str, Any], name: str, wanted: Conditions,
                declaration: Any) -> list[Any]:
    allowed = declaration.get("AllowedValues") if isinstance(declaration, dict) else None
    if isinstance(allowed, list) and allowed and all(isinstance(v, str | int | float | bool)
                                                     for v in allowed):
        return list(dict.fromkeys(allowed))
    literals: dict[str, None] = {}
    for condition, _ in wanted:
        _compared_literals(section, section.get(condition), name, literals, 0)
    return [*literals, _OTHER]


def _compared_literals(section: Mapping[str, Any], raw: Any, name: str,
                       found: dict[str, None], depth: int) -> None:
    """The literals `!Ref name` is compared with in `raw` (through the conditions it names)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(raw, list):
        for item in raw:
            _compared_literals(section, item, name, found, depth + 1)
    elif isinstance(raw, dict) and len(raw) == 1:
        (function, argument), = raw.items()
        if function == "Condition" and isinstance(argument, str):
            _compared_literals(section, section.get(argument), name, found, depth + 1)
        elif function == "Fn::Equals" and isinstance(argument, list) and len(argument) == 2:
            if {"Ref": name} in argument:
                other = argument[1] if argument[0] == {"Ref": name} else argument[0]
                if isinstance(other, str | int | float | bool):
                    found[str(other).lower() if isinstance(other, bool) else str(other)] = None
        else:
            _compared_literals(section, argument, name, found, depth + 1)


class _ConditionEvaluator:
    def __init__(self, section: Mapping[str, Any], fixed: Mapping[str, Any]) -> None:
        self._section = section
        self._fixed = fixed

    def condition(self, name: Any, depth: int) -> bool | None:
        if not isinstance(name, str) or name not in self._section or depth > MAX_DEPTH:
            return None
        return self.truth(self._section[name], depth + 1)

    def truth(self, raw: Any, depth: int) -> bool | None:
        if depth > MAX_DEPTH or not isinstance(raw, dict) or len(raw) != 1:
            return None
        (name, argument), = raw.items()
        if name == "Condition":
            return self.condition(argument, depth + 1)
        if not isinstance(argument, list):
            return None
        if name == "Fn::Equals" and len(argument) == 2:
            left, right = (self.scalar(a, depth + 1) for a in argument)
            return None if left is None or right is None else left == right
        truths = [self.truth(a, depth + 1) for a in argument]
        if name == "Fn::Not" and len(truths) == 1:
            return None if truths[0] is None else not truths[0]
        if name == "Fn::And" and truths:
            return False if False in truths else (None if None in truths else True)
        if name == "Fn::Or" and truths:
            return True if True in truths else (None if None in truths else False)
        return None

    def scalar(self, raw: Any, depth: int) -> str | None:
        """A literal or a fixed parameter as CloudFormation compares it (as a string)."""
        if isinstance(raw, bool):
            return str(raw).lower()
        if isinstance(raw, str | int | float):
            return str(raw)
        if isinstance(raw, dict) and len(raw) == 1 and "Ref" in raw:
            value = self._fixed.get(raw["Ref"]) if isinstance(raw["Ref"], str) else None
            return self.scalar(value, depth + 1) if value is not None else None
        if isinstance(raw, dict) and len(raw) == 1 and "Condition" in raw:
            truth = self.condition(raw["Condition"], depth + 1)
            return None if truth is None else str(truth).lower()
        return None
