"""Load stage: file bytes -> Document (plain values + node locations), or a ParseError.

YAML goes through PyYAML's C composer; values are built here so that short-form tags become
their long form, a repeated key keeps its last value (as CloudFormation does) and is listed in
`Document.duplicates`, and alias bombs and over-deep nesting are refused.
"""

from __future__ import annotations

import json
import re
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


@dataclass(frozen=True)
class Duplicate:
    """A key written twice in one mapping: the value of `later` is kept, that of `earlier` is not.

    A key written three times gives two: the second against the first, the third against the
    second. A key written next to a merge (`<<: *defaults`) overrides the merged one and is not
    a duplicate.
    """

    key: str
    path: Path  # the mapping that holds the key, e.g. ("Resources", "Queue", "Properties")
    later: Span  # the key whose value is kept
    earlier: Span  # the key whose value is ignored


def duplicate_message(d: Duplicate) -> str:
    """The EA0004 message for one duplicate."""
    where = "/".join(map(str, d.path)) or "the top level"
    return (
        f"Duplicate key '{d.key}' in {where}: CloudFormation keeps the last value "
        f"(line {d.later.line}) and ignores the earlier one (line {d.earlier.line}); "
        "cfn-lint and other strict YAML/JSON parsers reject the template"
    )


@dataclass
class Document:
    path: str
    data: dict[str, Any]
    root: yaml.Node | None
    duplicates: tuple[Duplicate, ...] = ()  # in the order of their later key
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
        if node.tag[0] == "!" and _short_form_of(node) == step:
            return None, node  # `!If [...]` holds what its long form holds under `Fn::If`
        if isinstance(node, yaml.MappingNode):
            return self._index(node).get(step) if isinstance(step, str) else None
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            return (None, node.value[step]) if 0 <= step < len(node.value) else None
        return None

    def _index(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """`_key_index` of `node`, cached, with the indexes of its merge sources made first. A
        loop, not recursion: a chain of merges may be longer than Python's recursion limit."""
        keys = self._keys
        if id(node) not in keys:
            stack: list[tuple[yaml.MappingNode, bool]] = [(node, False)]
            opened: set[int] = set()
            while stack:
                current, sources_done = stack.pop()
                if id(current) in keys:
                    continue
                if sources_done:
                    keys[id(current)] = _key_index(current, keys)
                elif id(current) not in opened:  # (a merge loop: the builder refuses those)
                    opened.add(id(current))
                    stack.append((current, True))
                    stack.extend((s, False) for s in _merge_sources(current) if id(s) not in keys)
        return keys[id(node)]


def _short_form_of(node: yaml.Node) -> str | None:
    """The long-form key of a short-form tag: `!If` -> `Fn::If`, `!Ref` -> `Ref`."""
    tag = node.tag
    if not tag.startswith("!") or tag.startswith("!!"):
        return None
    name = tag[1:]
    return name if name in ("Ref", "Condition") or "::" in name else f"Fn::{name}"


def _key_index(
    node: yaml.MappingNode, indexes: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]]
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key -> (key node, value node), as the builder resolves the mapping: of a key written twice
    the last one; a written key over a merged (`<<`) one; the first merge source over later ones,
    each resolved the same way (`indexes` holds theirs)."""
    index: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE and isinstance(key_node, yaml.ScalarNode):
            index[key_node.value] = (key_node, value_node)
    for source in _merge_sources(node):
        for name, pair in indexes.get(id(source), {}).items():
            index.setdefault(name, pair)
    return index


def _merge_sources(node: yaml.MappingNode) -> list[yaml.MappingNode]:
    """The mappings merged into `node` by its `<<` keys, first one first; other values are
    ignored."""
    sources: list[yaml.MappingNode] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            sources.extend(m for m in merged if isinstance(m, yaml.MappingNode))
    return sources


def load_document(path: str, raw: bytes) -> Document:
    """Parse `raw`; raise NotATemplate for non-templates and ParseError for broken templates."""
    head = raw[:1_000_000]
    looks_like_template = bool(_FORMAT_VERSION.search(head)) or (
        b"AWS::" in raw and bool(_RESOURCES_KEY.search(head))
    )
    if len(raw) > MAX_BYTES:
        _refuse(looks_like_template, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    text = _decode(raw, looks_like_template)
    builder = _Builder()
    try:
        root = _compose(text)
        data = builder.build(root) if root is not None else None
    except ParseError as error:
        if not looks_like_template:
            raise NotATemplate(error.message) from None
        raise
    if not isinstance(data, dict):
        _refuse(looks_like_template, "the top level of a template must be a mapping")
    _check_template_shape(data, root, looks_like_template)
    duplicates = tuple(sorted(builder.duplicates(root), key=lambda d: d.later))
    return Document(path, data, root, duplicates)


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
        self._merge_sizes: dict[int, dict[str, int]] = {}  # merge source -> its keys' sizes
        # (mapping, key, later key node, earlier key node) of each key written twice
        self.repeated: list[tuple[yaml.MappingNode, str, yaml.Node, yaml.Node]] = []

    def duplicates(self, root: yaml.Node) -> list[Duplicate]:
        """The repeated keys, each with the path of its mapping (found only when there are
        some: building values keeps no paths)."""
        if not self.repeated:
            return []
        paths = _paths_of(root, {id(mapping) for mapping, *_ in self.repeated})
        return [Duplicate(name, paths.get(id(mapping), ()), Span.of(later), Span.of(earlier))
                for mapping, name, later, earlier in self.repeated]

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
            value, size = self._sequence(node, depth)
        else:  # a ScalarNode subclass
            value, size = _scalar(node), 1
            self._count(1, node)
        self._building.discard(key)
        self._built[key] = (_short_form(node, value) if node.tag[0] == "!" else value, size)
        return self._built[key]

    def _count(self, size: int, node: yaml.Node) -> None:
        self._expanded += size
        if self._expanded > MAX_EXPANDED_NODES:
            raise ParseError(
                f"more than {MAX_EXPANDED_NODES:,} values after alias expansion (alias bomb?)",
                Span.of(node),
            )

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> tuple[list[Any], int]:
        items = [self._node(item, depth + 1) for item in node.value]
        return [v for v, _ in items], 1 + sum(s for _, s in items)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        merges = False
        seen: dict[str, yaml.Node] | None = None  # key -> its last key node, once one repeats
        size = 1
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges = True
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
            if name in result:  # the last one wins, as in CloudFormation
                if seen is None:
                    seen = _keys_before(node, key_node)
                self.repeated.append((node, name, key_node, seen[name]))
            if seen is not None:
                seen[name] = key_node
            result[name], child_size = self._node(value_node, depth + 1)
            size += child_size
        # Merged (`<<`) keys: a written key wins, then the first source. A source is built like
        # any aliased mapping: once, and counted at each use.
        for source in _merge_sources(node) if merges else ():
            merged, _ = self._node(source, depth + 1)
            sizes = self._merged_sizes(source)
            for name, value in merged.items():
                if name not in result:
                    result[name] = value
                    size += sizes.get(name, 1)
        return result, size

    def _merged_sizes(self, source: yaml.MappingNode) -> dict[str, int]:
        """The size of each value of a built merge source (its own merge sources have theirs)."""
        sizes = self._merge_sizes.get(id(source))
        if sizes is None:
            built = self._built
            sizes = {
                k.value: built[id(v)][1] if id(v) in built else 1
                for k, v in source.value if k.tag != _MERGE
            }
            for inner in _merge_sources(source):
                for name, size in self._merge_sizes.get(id(inner), {}).items():
                    sizes.setdefault(name, size)
            self._merge_sizes[id(source)] = sizes
        return sizes


def _paths_of(root: yaml.Node, wanted: set[int]) -> dict[int, Path]:
    """The template path of each node in `wanted`, where it is first written (an anchored
    mapping where its anchor is; a merge source under `<<`)."""
    paths: dict[int, Path] = {}
    visited: set[int] = set()
    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    while stack and len(paths) < len(wanted):
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if id(node) in wanted:
            paths[id(node)] = path
        if isinstance(node, yaml.MappingNode):
            children = [(v, (*path, "<<" if k.tag == _MERGE else k.value)) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(v, (*path, i)) for i, v in enumerate(node.value)]
        else:
            continue
        stack.extend(reversed(children))  # document order
    return paths


def _keys_before(mapping: yaml.MappingNode, key_node: yaml.Node) -> dict[str, yaml.Node]:
    """Each key written in `mapping` before `key_node` -> its last key node."""
    keys: dict[str, yaml.Node] = {}
    for written, _ in mapping.value:
        if written is key_node:
            break
        if written.tag != _MERGE:
            keys[written.value] = written
    return keys


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
    name = _short_form_of(node)
    if name is None:
        return value
    if name == "Fn::GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {name: value}
