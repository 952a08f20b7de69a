"""CDK cloud assemblies and linked templates: construct paths of resources (`aws:cdk:path`),
and what one template of a run sees of the others (a nested template's parameters bound to its
parent's values, `Fn::ImportValue` of the exports of its cloud assembly)."""

from __future__ import annotations

import json
import os
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import suppressions
from .config import region_problem
from .discover import MANIFEST, assembly_of
from .findings import Finding
from .graph import DEAD_LETTERS, INVOKES, POLL, build_graph
from .load import Document, NotATemplate, ParseError, Path, Span, load_document
from .model import Model
from .suppressions import Suppressed
from .template import Resource, Template

CDK_PATH = "aws:cdk:path"
# The id CDK gives the CloudFormation resource under an L2 construct: the construct the user
# wrote is its parent (`Orders/OrdersQueue/Resource` is `new sqs.Queue(this, 'OrdersQueue')`).
_DEFAULT_CHILD = re.compile(r"/(?:Resource|Default)$")
_QUOTED_ID = re.compile(r"'([A-Za-z0-9]+)'")


def construct_path(data: Mapping[str, Any], logical_id: str | None) -> str | None:
    """The construct path CDK recorded for a resource, without its default child id."""
    resources = data.get("Resources") if logical_id else None
    body = resources.get(logical_id) if isinstance(resources, dict) else None
    metadata = body.get("Metadata") if isinstance(body, dict) else None
    path = metadata.get(CDK_PATH) if isinstance(metadata, dict) else None
    return _DEFAULT_CHILD.sub("", path) if isinstance(path, str) and path else None


def with_construct_paths(message: str, data: Mapping[str, Any]) -> str:
    """Each quoted logical id of a resource CDK made, followed by its construct path:
    `Queue 'OrdersQueue3DFA1D51' (construct Orders/OrdersQueue) ...`."""
    if "Resources" not in data:
        return message

    def named(match: re.Match[str]) -> str:
        path = construct_path(data, match.group(1))
        return f"{match.group(0)} (construct {path})" if path else match.group(0)

    return _QUOTED_ID.sub(named, message)


# -- linking the templates of a run ---------------------------------------------------------------

# The first element of the path of a resource of another template: the file follows.
FOREIGN = "\x00linked:"
# What a linked value becomes where it cannot be followed: an intrinsic the resolver leaves
# UNKNOWN (never a finding), unlike a missing property (which would mean the AWS default).
UNRESOLVED: dict[str, Any] = {"Fn::Linked": "unresolved"}
STACK_TYPES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")
# CDK's `cloudfront.experimental.EdgeFunction` in a stack outside us-east-1: its version is in a
# us-east-1 stack, whose SSM parameter a custom resource reads back; linked for Lambda@Edge.
READER_TYPE = "Custom::CrossRegionStringParameterReader"
EDGE_TYPES = frozenset({"AWS::Lambda::Version", "AWS::Lambda::Function"})
# What is linked from another template: event sources and dead-letter targets, whose settings
# are their own properties. A function's are not (its EventInvokeConfig is another resource).
LINKED_TYPES = frozenset({"AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Kinesis::Stream",
                          "AWS::DynamoDB::Table"})
_PSEUDO_KEPT = frozenset({"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix",
                          "AWS::NoValue"})
_ENVIRONMENT = re.compile(r"^aws://[^/]*/(?P<region>[^/]+)$")
_SUB_TOKEN = re.compile(r"\$\{([^}!][^}]*)\}")
_MAX_DEPTH = 24
_LINKERS: weakref.WeakKeyDictionary[Template, _Linker] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Parent:
    """The stack resource that creates a nested template, in the parent template's file."""

    file: str
    logical_id: str
    parameters: Any  # its `Parameters`, in the parent's namespace
    child: str  # the nested template's file


@dataclass(frozen=True)
class Export:
    file: str
    value: Any  # the output's `Value`, in the exporting template's namespace


class Assembly:
    """What the templates of one run know of each other: the parent of each nested template
    (by file) and the exports of each cloud assembly (by manifest)."""

    def __init__(self, parents: dict[str, Parent], exports: dict[tuple[str, str], Export],
                 groups: dict[str, str], regions: dict[str, str] | None = None,
                 members: Mapping[str, list[str]] | None = None) -> None:
        self.parents = parents  # _key(child file) -> its parent
        # (_key(parent file), stack resource) -> the nested template's file
        self.children = {(_key(p.file), p.logical_id): p.child for p in parents.values()}
        self.exports = exports  # (group, export name) -> the export
        self.groups = groups  # _key(file) -> its cloud assembly's manifest
        self.regions = regions or {}  # _key(stack template) -> the Region its manifest names
        self.members = dict(members or {})  # manifest -> its stack templates
        self._documents: dict[str, Document | None] = {}
        self._dead_letters: dict[str, set[str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_documents": {}, "_dead_letters": {}}  # workers read them

    def region_of(self, file: str) -> str | None:
        """The Region a stack of a cloud assembly is deployed to (its manifest's `environment`,
        `aws://account/region`), a nested stack's that of its parent; None when unknown."""
        seen: set[str] = set()
        key = _key(file)
        while key not in self.regions and key in self.parents and key not in seen:
            seen.add(key)
            key = _key(self.parents[key].file)
        return self.regions.get(key)

    def document(self, file: str) -> Document | None:
        if file not in self._documents:
            self._documents[file] = _load(file)
        return self._documents[file]

    def dead_letter_targets(self, file: str) -> set[str]:
        """The resources of `file` that receive failures in it (a queue's redrive policy, a
        function's dead-letter queue...)."""
        if file not in self._dead_letters:
            document = self.document(file)
            graph = build_graph(Template(document)) if document is not None else None
            self._dead_letters[file] = {e.target for e in graph.of_kind(DEAD_LETTERS)
                                        if e.target} if graph else set()
        return self._dead_letters[file]

    def suppress_linked(self, findings: list[Finding], file: str
                        ) -> tuple[list[Finding], list[Suppressed]]:
        """A finding located in a linked template is suppressed by that template's Metadata
        too (the finding on a parent's queue, by the queue's `awslint-rules` entry)."""
        kept: list[Finding] = []
        suppressed: list[Suppressed] = []
        for finding in findings:
            document = self.document(finding.file) if finding.file != file else None
            entries = suppressions.read(document.data)[0] if document is not None else []
            if entries:
                still, hidden, _ = suppressions.apply([finding], entries)
                kept += still
                suppressed += hidden
            else:
                kept.append(finding)
        return kept, suppressed

    def link(self, template: Template, given: Mapping[str, Any]) -> None:
        """Bind a nested template's parameters to its parent's values and its
        `Fn::ImportValue`s to the exports of its cloud assembly: the resources those name
        become resources of `template` located in their own files."""
        linker = _Linker(self, template)
        parent = self.parents.get(_key(template.path))
        if parent is not None:
            linker.bind(parent, given)
        group = self.groups.get(_key(template.path))
        if group is not None:
            for name in sorted(_import_names(template.document.data.get("Resources"))):
                export = self.exports.get((group, name))
                if export is not None and _key(export.file) != _key(template.path):
                    template.resolver.imports[name] = linker.translate(export.value, export.file)
        resources = template.document.data.get("Resources")
        for stack, attribute in sorted(_output_references(resources)):
            value = linker.output(template.path, stack, attribute)
            if value is not None:
                template.resolver.outputs[(stack, attribute)] = value
        for reader, attribute in sorted(_reader_references(resources)):
            value = linker.cross_region_parameter(reader)
            if value is not None:
                template.resolver.outputs[(reader, attribute)] = value
        if linker.bodies:
            _LINKERS[template] = linker


def linked_resources(template: Template) -> dict[str, Any]:
    """The resources of `template` (as written) with those linked from other templates."""
    data = template.document.data
    linker = _LINKERS.get(template)
    own = data.get("Resources") if isinstance(data.get("Resources"), dict) else {}
    return {"Resources": {**own, **linker.bodies}} if linker else data


def locate(template: Template, path: Path, key: bool = False) -> tuple[str, Span, Path]:
    """The file, span and path there of a template path, which may be in a linked template."""
    if path and isinstance(path[0], str) and path[0].startswith(FOREIGN):
        file = path[0][len(FOREIGN):]
        linker = _LINKERS.get(template)
        document = linker.assembly.document(file) if linker else None
        if document is not None:
            return file, document.locate(path[1:], key=key), path[1:]
    return template.path, template.document.locate(path, key=key), path


class _Linker:
    def __init__(self, assembly: Assembly, template: Template) -> None:
        self.assembly = assembly
        self.t = template
        self.bodies: dict[str, Any] = {}  # linked logical id -> its body in its own file
        self.origin: dict[str, str] = {}  # linked logical id -> its file
        self._edge = False  # linking a Lambda@Edge version: its version and function too

    def bind(self, parent: Parent, given: Mapping[str, Any]) -> None:
        values = parent.parameters if isinstance(parent.parameters, dict) else {}
        for name in list(self.t.parameters):
            if name in values and name not in given:
                self.t.parameters[name] = self.translate(values[name], parent.file)

    def output(self, file: str, stack: str, attribute: str, depth: int = 0) -> Any:
        """`Fn::GetAtt [stack, Outputs.Name]` of a nested stack of `file` whose template is in
        the run: the output's value, as this template's resolver can read it (or None)."""
        child = self.assembly.children.get((_key(file), stack))
        document = self.assembly.document(child) if child else None
        outputs = document.data.get("Outputs") if document is not None else None
        output = outputs.get(attribute[len("Outputs."):]) if isinstance(outputs, dict) else None
        if child is None or not isinstance(output, dict) or "Value" not in output:
            return None
        return self.translate(output["Value"], child, depth + 1)

    def translate(self, raw: Any, file: str, depth: int = 0) -> Any:
        """`raw`, written in `file`, as this template's resolver can read it."""
        document = self.assembly.document(file)
        if document is None or depth > _MAX_DEPTH:
            return UNRESOLVED
        if isinstance(raw, list):
            return [self.translate(item, file, depth + 1) for item in raw]
        if not isinstance(raw, dict):
            return raw
        if len(raw) == 1:
            (name, argument), = raw.items()
            if name == "Ref" or name.startswith("Fn::") or name == "Condition":
                return self._function(name, argument, file, document, depth)
        return {k: self.translate(v, file, depth + 1) for k, v in raw.items()}

    def _function(self, name: str, argument: Any, file: str, document: Document,
                  depth: int) -> Any:
        if name == "Ref":
            return self._ref(argument, file, document, depth)
        if name == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            if isinstance(parts, list) and len(parts) == 2 and isinstance(parts[0], str):
                if isinstance(parts[1], str) and parts[1].startswith("Outputs."):
                    value = self.output(file, parts[0], parts[1], depth)
                    return UNRESOLVED if value is None else value
                linked = self._resource(parts[0], file, document)
                return {"Fn::GetAtt": [linked, parts[1]]} if linked else UNRESOLVED
            return UNRESOLVED
        if name == "Fn::Sub":
            return self._sub(argument, file, document, depth)
        if name == "Fn::ImportValue":
            return self._import(argument, file, depth)
        if name in ("Fn::Join", "Fn::Select", "Fn::Split", "Fn::Base64"):
            return {name: self.translate(argument, file, depth + 1)}
        return UNRESOLVED  # conditions, mappings and the like of the other template

    def cross_region_parameter(self, reader: str) -> Any:
        """What CDK's `Custom::CrossRegionStringParameterReader` reads: the `Value` of the
        `AWS::SSM::Parameter` of that `Name` in another stack of the assembly (the version of
        an `experimental.EdgeFunction`, in its us-east-1 stack), or None."""
        body = _body(self.t.document.data.get("Resources"), reader)
        properties = body.get("Properties") if body.get("Type") == READER_TYPE else None
        name = properties.get("ParameterName") if isinstance(properties, dict) else None
        group = self.assembly.groups.get(_key(self.t.path))
        if not isinstance(name, str) or group is None:
            return None
        for file in self.assembly.members.get(group, ()):
            document = self.assembly.document(file) if _key(file) != _key(self.t.path) else None
            resources = document.data.get("Resources") if document is not None else None
            for logical_id in resources if isinstance(resources, dict) else ():
                parameter = _body(resources, logical_id)
                values = parameter.get("Properties")
                if (parameter.get("Type") == "AWS::SSM::Parameter" and isinstance(values, dict)
                        and values.get("Name") == name and "Value" in values):
                    self._edge = True
                    try:
                        return self.translate(values["Value"], file)
                    finally:
                        self._edge = False
        return None

    def _ref(self, name: Any, file: str, document: Document, depth: int) -> Any:
        if not isinstance(name, str):
            return UNRESOLVED
        if name.startswith("AWS::"):
            return {"Ref": name} if name in _PSEUDO_KEPT else UNRESOLVED
        linked = self._resource(name, file, document)
        if linked:
            return {"Ref": linked}
        parameters = document.data.get("Parameters")
        declared = parameters.get(name) if isinstance(parameters, dict) else None
        if isinstance(declared, dict) and "Default" in declared:
            return self.translate(declared["Default"], file, depth + 1)
        return UNRESOLVED

    def _sub(self, argument: Any, file: str, document: Document, depth: int) -> Any:
        text, variables = (argument if isinstance(argument, list) and len(argument) == 2
                           else (argument, {}))
        if not isinstance(text, str) or not isinstance(variables, dict):
            return UNRESOLVED
        names = {}
        for token in _SUB_TOKEN.findall(text):
            resource = token.split(".", 1)[0]
            if token in variables or token.startswith("AWS::"):
                continue
            linked = self._resource(resource, file, document)
            if not linked:
                return UNRESOLVED
            names[token] = linked + token[len(resource):]
        text = _SUB_TOKEN.sub(lambda m: "${" + names.get(m.group(1), m.group(1)) + "}", text)
        translated = {k: self.translate(v, file, depth + 1) for k, v in variables.items()}
        return {"Fn::Sub": [text, translated] if translated else text}

    def _import(self, argument: Any, file: str, depth: int) -> Any:
        group = self.assembly.groups.get(_key(file))
        export = self.assembly.exports.get((group, argument)) if group and isinstance(
            argument, str) else None
        return self.translate(export.value, export.file, depth + 1) if export else UNRESOLVED

    def _resource(self, logical_id: str, file: str, document: Document) -> str | None:
        """The id under which a resource of `file` is linked into this template (its own, when
        this template has no resource or parameter of that name)."""
        resources = document.data.get("Resources")
        body = resources.get(logical_id) if isinstance(resources, dict) else None
        linked_types = LINKED_TYPES | EDGE_TYPES if self._edge else LINKED_TYPES
        if not isinstance(body, dict) or body.get("Type") not in linked_types:
            return None
        if self.origin.get(logical_id) == file:
            return logical_id
        if logical_id in self.assembly.dead_letter_targets(file):
            return None  # its own template's redrive policies are not linked
        if logical_id in self.t.resources or logical_id in self.t.parameters:
            return None
        properties = body.get("Properties")
        properties = _unresolved(properties) if isinstance(properties, dict) else {}
        if body["Type"] == "AWS::Lambda::Version":  # the function it publishes, linked too
            function = body["Properties"].get("FunctionName")
            properties["FunctionName"] = self.translate(function, file)
        resource = Resource(logical_id, body["Type"], properties,
                            declared_at=(FOREIGN + file, "Resources", logical_id))
        self.t.resources[logical_id] = resource
        self.t.by_type[resource.type].append(resource)
        self.bodies[logical_id] = {k: v for k, v in body.items() if k == "Metadata"}
        self.origin[logical_id] = file
        return logical_id


def _unresolved(value: Any) -> Any:
    """Properties of a linked resource with every intrinsic function left unresolved (they are
    written in another template's namespace)."""
    if isinstance(value, list):
        return [_unresolved(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        name = next(iter(value))
        if name == "Ref" or name.startswith("Fn::") or name == "Condition":
            return UNRESOLVED
    return {k: _unresolved(v) for k, v in value.items()}


def _body(resources: Any, logical_id: str) -> dict[str, Any]:
    body = resources.get(logical_id) if isinstance(resources, dict) else None
    return body if isinstance(body, dict) else {}


def _reader_references(resources: Any) -> set[tuple[str, str]]:
    """(reader, attribute) of each `Fn::GetAtt` of a cross-Region parameter reader."""
    readers = {i for i in resources if _body(resources, i).get("Type") == READER_TYPE} if (
        isinstance(resources, dict)) else set()
    return {(i, a) for i, a in _get_atts(resources, 0) if i in readers}


def _get_atts(value: Any, depth: int) -> set[tuple[str, str]]:
    if depth > 64:
        return set()
    if isinstance(value, list):
        return {r for item in value for r in _get_atts(item, depth + 1)}
    if not isinstance(value, dict):
        return set()
    argument = value.get("Fn::GetAtt") if len(value) == 1 else None
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    if isinstance(argument, list) and len(argument) == 2 and all(
            isinstance(part, str) for part in argument):
        return {(argument[0], argument[1])}
    return {r for item in value.values() for r in _get_atts(item, depth + 1)}


def _import_names(value: Any, depth: int = 0) -> set[str]:
    if depth > 64:
        return set()
    if isinstance(value, list):
        return {n for item in value for n in _import_names(item, depth + 1)}
    if not isinstance(value, dict):
        return set()
    if len(value) == 1 and isinstance(value.get("Fn::ImportValue"), str):
        return {value["Fn::ImportValue"]}
    return {n for item in value.values() for n in _import_names(item, depth + 1)}


def _output_references(value: Any, depth: int = 0) -> set[tuple[str, str]]:
    """The `Fn::GetAtt [Stack, Outputs.Name]` in `value`."""
    if depth > 64:
        return set()
    if isinstance(value, list):
        return {r for item in value for r in _output_references(item, depth + 1)}
    if not isinstance(value, dict):
        return set()
    argument = value.get("Fn::GetAtt") if len(value) == 1 else None
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    if isinstance(argument, list) and len(argument) == 2 and all(
            isinstance(part, str) for part in argument) and argument[1].startswith("Outputs."):
        return {(argument[0], argument[1])}
    return {r for item in value.values() for r in _output_references(item, depth + 1)}


def _key(file: str) -> str:
    return os.path.normcase(os.path.abspath(file))


def _load(file: str) -> Document | None:
    try:
        with open(file, "rb") as handle:
            return load_document(file, handle.read())
    except (OSError, NotATemplate, ParseError):
        return None


# Byte markers of what links a template to others: nothing else is parsed twice.
_LINK_MARKERS = (b"AWS::CloudFormation::Stack", b"AWS::Serverless::Application")


def build_assembly(files: list[str], manifests: Mapping[str, list[str]]) -> Assembly | None:
    """The links between the templates of a run: nested templates given by a local file (CDK's
    `aws:asset:path`, a `TemplateURL` or SAM `Location` that is a path) and the exports of each
    cloud assembly; None when there are none."""
    parents: dict[str, Parent] = {}
    exports: dict[tuple[str, str], Export | None] = {}
    manifests = {**_manifests_beside(files, manifests), **manifests}
    groups = {_key(f): manifest for manifest, found in manifests.items() for f in found}
    documents: dict[str, Document | None] = {}
    spelled = {_key(f): f for f in files}  # a nested template as the run names it
    others = [f for found in manifests.values() for f in found if _key(f) not in spelled]
    for file in [*files, *others]:
        if file == "-":
            continue
        group = groups.get(_key(file))
        raw = _read(file)
        exporting = group is not None and b"Export" in (raw or b"")
        if raw is None or not (exporting or any(marker in raw for marker in _LINK_MARKERS)):
            continue
        document = documents[file] = _load(file)
        if document is None:
            continue
        for logical_id, parameters, child in _children(file, document):
            child = spelled.get(_key(child), os.path.normpath(child))
            parents[_key(child)] = Parent(file, logical_id, parameters, child)
        if group is not None:
            for name, value in _exports(document):
                known = (group, name) in exports
                exports[(group, name)] = None if known else Export(file, value)
    unique = {key: export for key, export in exports.items() if export is not None}
    regions = {key: region for manifest in manifests for key, region in _regions(manifest)}
    if not parents and not unique and not regions:
        return None
    assembly = Assembly(parents, unique, groups, regions, manifests)
    assembly._documents.update(documents)
    return assembly


def _regions(manifest: str) -> Iterator[tuple[str, str]]:
    """(_key(template), Region) of each stack of a manifest deployed to a known Region (an
    environment-agnostic stack's is `aws://unknown-account/unknown-region`)."""
    try:
        with open(manifest, "rb") as handle:
            artifacts = json.load(handle).get("artifacts")
    except (OSError, ValueError, AttributeError):
        return
    for artifact in artifacts.values() if isinstance(artifacts, dict) else ():
        properties = artifact.get("properties") if isinstance(artifact, dict) else None
        template = properties.get("templateFile") if isinstance(properties, dict) else None
        match = _ENVIRONMENT.match(str(artifact.get("environment")))
        if isinstance(template, str) and match and region_problem(match["region"]) is None:
            yield _key(os.path.join(os.path.dirname(manifest), template)), match["region"]


def _manifests_beside(files: list[str], manifests: Mapping[str, list[str]]
                      ) -> dict[str, list[str]]:
    """The cloud assemblies of templates given one by one (`cdk.out/Billing.template.json`):
    the manifest.json beside a template that lists it."""
    grouped = {_key(f) for found in manifests.values() for f in found}
    found: dict[str, list[str]] = {}
    for file in files:
        manifest = os.path.join(os.path.dirname(file), MANIFEST)
        if file == "-" or _key(file) in grouped or manifest in found or not os.path.isfile(
                manifest):
            continue
        assemblies = assembly_of(manifest)
        if _key(file) in {_key(t) for t in assemblies.get(manifest, ())}:
            found.update(assemblies)
            grouped |= {_key(t) for listed in assemblies.values() for t in listed}
    return found


def _read(file: str) -> bytes | None:
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _children(file: str, document: Document) -> list[tuple[str, Any, str]]:
    """(stack resource, its Parameters, the nested template's file) of each nested stack whose
    template is a local file."""
    resources = document.data.get("Resources")
    found = []
    for logical_id, body in (resources.items() if isinstance(resources, dict) else ()):
        if not isinstance(body, dict) or body.get("Type") not in STACK_TYPES:
            continue
        location = _local_template(body)
        if location is not None:
            child = os.path.join(os.path.dirname(file), location)
            if os.path.isfile(child):
                properties = body.get("Properties")
                parameters = properties.get("Parameters") if isinstance(properties, dict) else None
                found.append((logical_id, parameters, child))
    return found


def _local_template(body: Mapping[str, Any]) -> str | None:
    """The file of a nested stack's template: CDK's asset path, else a TemplateURL or SAM
    Location that is a relative or absolute path (not a URL)."""
    metadata = body.get("Metadata")
    if isinstance(metadata, dict) and metadata.get("aws:asset:property") == "TemplateURL":
        asset = metadata.get("aws:asset:path")
        if isinstance(asset, str):
            return asset
    properties = body.get("Properties")
    properties = properties if isinstance(properties, dict) else {}
    location = properties.get("TemplateURL", properties.get("Location"))
    if isinstance(location, str) and "://" not in location and not location.startswith("s3"):
        return location
    return None


def _exports(document: Document) -> list[tuple[str, Any]]:
    outputs = document.data.get("Outputs")
    found = []
    for output in (outputs.values() if isinstance(outputs, dict) else ()):
        export = output.get("Export") if isinstance(output, dict) else None
        name = export.get("Name") if isinstance(export, dict) else None
        if isinstance(name, str) and "Value" in output:
            found.append((name, output["Value"]))
    return found


# Rules about a resource no wiring of its own template uses: wrong where a linked template
# uses it (IA3004: a queue neither consumed nor a dead-letter queue).
UNLESS_USED_ELSEWHERE = frozenset({"IA3004"})


def linked_uses(model: Model) -> set[tuple[str, str]]:
    """(file, logical id) of the resources of other templates that this template's wiring
    uses: a queue its functions poll, a queue or topic that receives its failures."""
    linker = _LINKERS.get(model.template)
    if linker is None:
        return set()
    used = {edge.source for edge in model.graph.of_kind(INVOKES, POLL)}
    used |= {edge.target for edge in model.graph.of_kind(DEAD_LETTERS)}
    return {(linker.origin[i], i) for i in used if i in linker.origin}


def reconciled(assembly: Assembly, findings: list[Finding], suppressed: list[Suppressed],
               uses: set[tuple[str, str]]) -> list[Finding]:
    """Drop the findings on a resource that no wiring uses where a linked template uses it, and
    the IA0002 (unused suppression) of an entry that suppressed a linked template's finding."""
    used = {(_key(file), logical_id) for file, logical_id in uses}
    return [f for f in findings
            if not (f.rule in UNLESS_USED_ELSEWHERE and (_key(f.file), f.resource) in used)
            and not _used_elsewhere(assembly, f, suppressed)]


def _used_elsewhere(assembly: Assembly, finding: Finding, suppressed: list[Suppressed]) -> bool:
    if finding.rule != suppressions.UNUSED or not any(
            s.finding.file == finding.file for s in suppressed):
        return False
    document = assembly.document(finding.file)
    entries = suppressions.read(document.data)[0] if document is not None else []
    return any(entry.path == finding.path and entry.matches(s.finding)
               for entry in entries for s in suppressed if s.finding.file == finding.file)
