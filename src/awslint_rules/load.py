"""Load stage: file bytes -> Document (plain values + node locations), or a ParseError.

YAML goes through PyYAML's C composer; values are built here so that short-form tags become
their long form, duplicate keys are errors, and alias bombs and over-deep nesting are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]

MAX_DEPTH = 256
MAX_EXPANDED_NODES = 2_000_000
MAX_BYTES = 50 * 1024 * 1024

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_FORMAT_VERSION = re.compile(rb"AWSTemplateFormatVersion")
_RESOURCES_KEY = re.compile(rb"^\s*[\"']?Resources[\"']?\s*:", re.M)
_SCALARS = yaml.constructor.SafeConstructor()


@dataclass(frozen=True, order=True)
class Span:
    """1-based start line/column, end exclusive (the SARIF convention)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def of(cls, node: yaml.Node) -> Span:
        start, end = node.start_mark, node.end_mark
        return cls(start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column + 1)


FILE_START = Span.point(1, 1)


class ParseError(Exception):
    def __init__(self, message: str, span: Span = FILE_START) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


class NotATemplate(Exception):
    """The file is not a CloudFormation template: skip it."""


@dataclass
class Document:
    path: str
    data: dict[str, Any]
    root: yaml.Node | None
    # mapping node id -> {key: (key node, value node)}: locate() stays linear in the path, not
    # in the size of the mappings it walks (thousands of findings in a 5 MB template)
    _keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, repr=False, compare=False)

    def locate(self, path: Path, *, key: bool = False) -> Span:
        """The span of the value at `path` (or of its key); the nearest existing ancestor."""
        node = self.root
        if node is None:
            return FILE_START
        span = Span.of(node)
        for step in path:
            found = self._child(node, step)
            if found is None:
                return span
            key_node, node = found
            span = Span.of(key_node if key and key_node is not None else node)
        return span if key else Span.of(node)

    def _child(
        self, node: yaml.Node, step: str | int
    ) -> tuple[yaml.Node | None, yaml.Node] | None:
        if isinstance(node, yaml.MappingNode):
            keys = self._keys.get(id(node))
            if keys is None:
                keys = self._keys[id(node)] = _key_index(node)
            return keys.get(step) if isinstance(step, str) else None
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            return (None, node.value[step]) if 0 <= step < len(node.value) else None
        return None


def _key_index(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key -> (key node, value node); keys written in the mapping win over merged (`<<`) ones."""
    index: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    written = [(k, v) for k, v in node.value if k.tag != _MERGE]
    for key_node, value_node in (*written, *_mapping_pairs(node)):
        if isinstance(key_node, yaml.ScalarNode):  # a merged source may hold other keys
            index.setdefault(key_node.value, (key_node, value_node))
    return index


def _mapping_pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in merged:
                if isinstance(source, yaml.MappingNode):
                    yield from _mapping_pairs(source)
        else:
            yield key_node, value_node


def load_document(path: str, raw: bytes) -> Document:
    """Parse `raw`; raise NotATemplate for non-templates and ParseError for broken templates."""
    head = raw[:1_000_000]
    looks_like_template = bool(_FORMAT_VERSION.search(head)) or (
        b"AWS::" in raw and bool(_RESOURCES_KEY.search(head))
    )
    if len(raw) > MAX_BYTES:
        _refuse(looks_like_template, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    text = _decode(raw, looks_like_template)
    try:
        root = _compose(text)
        data = _Builder().build(root) if root is not None else None
    except ParseError as error:
        if not looks_like_template:
            raise NotATemplate(error.message) from None
        raise
    if not isinstance(data, dict):
        _refuse(looks_like_template, "the top level of a template must be a mapping")
    _check_template_shape(data, root, looks_like_template)
    return Document(path, data, root)


def _refuse(looks_like_template: bool, message: str, span: Span = FILE_START) -> NoReturn:
    if looks_like_template:
        raise ParseError(message, span)
    raise NotATemplate(message)


def _decode(raw: bytes, looks_like_template: bool) -> str:
    nul = raw.find(b"\x00", 0, 8192)
    if nul >= 0 and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # a file named like a template that is binary is a broken file, not a skipped one
        raise ParseError("binary content (a NUL byte): not a YAML or JSON template",
                         _byte_span(raw, nul))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        span = _byte_span(raw, error.start)
        _refuse(looks_like_template, f"invalid UTF-8 at byte {error.start}", span)


def _byte_span(raw: bytes, offset: int) -> Span:
    line = raw.count(b"\n", 0, offset) + 1
    return Span.point(line, offset - (raw.rfind(b"\n", 0, offset) + 1) + 1)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        if text.lstrip().startswith("{"):
            return _compose_json(text, error)
        raise ParseError(_yaml_message(error), _mark_span(error)) from None
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        raise ParseError(f"cannot parse: {error}") from None


def _compose_json(text: str, yaml_error: yaml.MarkedYAMLError) -> yaml.Node:
    """JSON that YAML refuses (tabs mostly): report JSON's own error, or reparse without tabs."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        span = Span.point(error.lineno, error.colno)
        raise ParseError(f"invalid JSON: {error.msg}", span) from None
    except RecursionError:
        raise ParseError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    try:
        return yaml.compose(text.replace("\t", " "), Loader=_Loader)
    except yaml.YAMLError:
        raise ParseError(_yaml_message(yaml_error), _mark_span(yaml_error)) from None


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (error.context, error.problem) if p]
    message = "invalid YAML: " + (", ".join(parts) if parts else str(error))
    context, problem = error.context_mark, error.problem_mark
    if context and problem and context.line != problem.line:
        start = f"line {context.line + 1}, column {context.column + 1}"
        message += f" (the construct starts at {start})"
    return message


def _mark_span(error: yaml.MarkedYAMLError) -> Span:
    mark = error.problem_mark or error.context_mark
    return Span.point(mark.line + 1, mark.column + 1) if mark else FILE_START


def _check_template_shape(data: dict[str, Any], root: yaml.Node, hinted: bool) -> None:
    resources = data.get("Resources")
    is_template = "AWSTemplateFormatVersion" in data or (
        isinstance(resources, dict)
        and any(isinstance(r, dict) and _is_type_name(r.get("Type")) for r in resources.values())
    )
    if not is_template and not (hinted and "Resources" in data and not isinstance(resources, dict)):
        raise NotATemplate("no AWSTemplateFormatVersion and no resource with a Type")
    if isinstance(resources, dict) and resources:
        return
    document = Document("", data, root)
    if resources is None or resources == {}:
        span = document.locate(("Resources",), key=True) if "Resources" in data else FILE_START
        message = "'Resources' is empty: CloudFormation requires at least one resource"
        raise ParseError(message, span)
    names = {"list": "list", "str": "text", "bool": "boolean"}
    kind = names.get(type(resources).__name__, "number")
    raise ParseError(
        f"'Resources' must be a mapping of logical ids to resources, not a {kind}",
        document.locate(("Resources",)),
    )


def _is_type_name(value: Any) -> bool:
    return isinstance(value, str) and value.count("::") >= 2


class _Builder:
    """Builds plain values from composed nodes, counting expanded nodes to stop alias bombs."""

    def __init__(self) -> None:
        self._built: dict[int, tuple[Any, int]] = {}
        self._building: set[int] = set()
        self._expanded = 0

    def build(self, root: yaml.Node) -> Any:
        value, _ = self._node(root, 0)
        return value

    def _node(self, node: yaml.Node, depth: int) -> tuple[Any, int]:
        if type(node) is yaml.ScalarNode:  # most nodes: no children, cannot recurse
            self._expanded += 1
            if self._expanded > MAX_EXPANDED_NODES:
                self._count(0, node)
            tag = node.tag
            value = node.value if tag == _STR else _scalar(node)
            return (_short_form(node, value) if tag[0] == "!" else value), 1
        key = id(node)
        if key in self._built:
            value, size = self._built[key]
            self._count(size, node)
            return value, size
        if key in self._building:
            raise ParseError("recursive alias", Span.of(node))
        if depth > MAX_DEPTH:
            raise ParseError(f"nested deeper than {MAX_DEPTH} levels", Span.of(node))
        self._building.add(key)
        if isinstance(node, yaml.MappingNode):
            value, size = self._mapping(node, depth)
        elif isinstance(node, yaml.SequenceNode):
            items = [self._node(item, depth + 1) for item in node.value]
            value, size = [v for v, _ in items], 1 + sum(s for _, s in items)
        else:  # a ScalarNode subclass
            value, size = _scalar(node), 1
            self._count(1, node)
        self._building.discard(key)
        self._built[key] = (_short_form(node, value), size)
        return self._built[key]

    def _count(self, size: int, node: yaml.Node) -> None:
        self._expanded += size
        if self._expanded > MAX_EXPANDED_NODES:
            raise ParseError(
                f"more than {MAX_EXPANDED_NODES:,} values after alias expansion (alias bomb?)",
                Span.of(node),
            )

    def _mapping(self, node: yaml.MappingNode, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        size = 1
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(_mapping_pairs(yaml.MappingNode(node.tag, [(key_node, value_node)])))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise ParseError("a mapping key must be a scalar", Span.of(key_node))
            if key_node.tag[0] == "!" and not key_node.tag.startswith("!!"):
                raise ParseError(
                    f"a mapping key cannot carry a tag: '{key_node.tag} {key_node.value}' "
                    "(an intrinsic function needs its own mapping or a list item)",
                    Span.of(key_node),
                )
            name = key_node.value
            if name in result:
                raise _duplicate(node, key_node)
            result[name], child_size = self._node(value_node, depth + 1)
            size += child_size
        for key_node, value_node in merged:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value not in result:
                result[key_node.value], child_size = self._node(value_node, depth + 1)
                size += child_size
        return result, size


def _duplicate(mapping: yaml.MappingNode, again: yaml.Node) -> ParseError:
    first = next(k for k, _ in mapping.value if getattr(k, "value", None) == again.value)
    message = f"duplicate key '{again.value}' (first at line {first.start_mark.line + 1})"
    return ParseError(message, Span.of(again))


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    try:
        if tag == _INT:
            return _SCALARS.construct_yaml_int(node)
        if tag == _FLOAT:
            return _SCALARS.construct_yaml_float(node)
        if tag == _BOOL:
            return _SCALARS.construct_yaml_bool(node)
        if tag == _NULL:
            return None
    except (ValueError, yaml.YAMLError):
        pass
    return node.value


def _short_form(node: yaml.Node, value: Any) -> Any:
    """`!GetAtt a.b` -> {"Fn::GetAtt": ["a", "b"]}, `!Ref x` -> {"Ref": "x"}, `!Sub s` -> ..."""
    tag = node.tag
    if not tag.startswith("!") or tag.startswith("!!"):
        return value
    name = tag[1:]
    if name == "Ref" or name == "Condition":
        return {name: value}
    if name == "GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {name if "::" in name else f"Fn::{name}": value}
