"""SARIF 2.1.0 through sarif-om, with what GitHub code scanning reads set explicitly."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attr
import sarif_om as om

from . import __version__
from .catalog import Rule, rule_markdown, rule_text
from .findings import Finding

if TYPE_CHECKING:
    from .load import Span
    from .suppressions import Suppressed

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
ALWAYS_WRITTEN = frozenset({"level"})  # sarif-om would drop a level equal to its default


def sarif_report(findings: list[Finding], rules: dict[str, Rule], root: str | None = None,
                 suppressed: Sequence[Suppressed] = ()) -> str:
    root_path = FsPath(root or os.getcwd()).resolve()
    catalog = list(rules.values())
    index = {rule.id: i for i, rule in enumerate(catalog)}
    run = om.Run(
        tool=om.Tool(driver=om.ToolComponent(
            name="awslint-rules",
            version=__version__,
            semantic_version=__version__,
            information_uri="https://pypi.org/project/awslint-rules/",
            rules=[_descriptor(rule) for rule in catalog],
        )),
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=root_path.as_uri() + "/")},
        automation_details=om.RunAutomationDetails(id="awslint-rules/"),
        column_kind="unicodeCodePoints",
        results=[_result(f, index, root_path) for f in findings] + [
            _result(s.finding, index, root_path, om.Suppression(
                kind=s.kind, justification=s.reason or None)) for s in suppressed],
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA, runs=[run])
    return json.dumps(_plain(log), indent=2) + "\n"


def _descriptor(rule: Rule) -> om.ReportingDescriptor:
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary or rule.name),
        full_description=om.MultiformatMessageString(text=(rule.doc.get("why") or rule.summary)
                                                      .strip()),
        help=om.MultiformatMessageString(text=rule_text(rule), markdown=rule_markdown(rule)),
        help_uri=rule.docs_url,
        default_configuration=om.ReportingConfiguration(level=LEVELS[rule.level]),
        properties=om.PropertyBag(tags=list(rule.doc.get("tags") or [])),
    )


def _result(f: Finding, index: dict[str, int], root: FsPath,
            suppression: om.Suppression | None = None) -> om.Result:
    return om.Result(
        suppressions=[suppression] if suppression else None,
        rule_id=f.rule,
        rule_index=index.get(f.rule, -1),
        level=LEVELS[f.level],
        message=om.Message(text=f.message),
        locations=[_location(f.file, f.span, root, logical=_construct(f))],
        related_locations=[
            _location(r.file, r.span, root, i + 1, r.message) for i, r in enumerate(f.related)
        ] or None,
        partial_fingerprints={"awslintRules/v1": f.fingerprint},
    )


def _construct(f: Finding) -> list[om.LogicalLocation] | None:
    """The CDK construct the finding is about: its logical id, named by its construct path."""
    if f.construct is None or f.resource is None:
        return None
    return [om.LogicalLocation(name=f.resource, fully_qualified_name=f.construct,
                               kind="resource")]


def _location(
    file: str, span: Span, root: FsPath, ident: int | None = None, message: str = "",
    logical: list[om.LogicalLocation] | None = None,
) -> om.Location:
    return om.Location(
        id=ident,
        message=om.Message(text=message) if message else None,
        logical_locations=logical,
        physical_location=om.PhysicalLocation(
            artifact_location=_artifact(file, root),
            region=om.Region(start_line=span.line, start_column=span.column,
                             end_line=span.end_line, end_column=span.end_column),
        ),
    )


def _artifact(file: str, root: FsPath) -> om.ArtifactLocation:
    if file == "-":
        return om.ArtifactLocation(uri="stdin")
    absolute = FsPath(file).resolve()
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return om.ArtifactLocation(uri=absolute.as_uri())
    return om.ArtifactLocation(uri=quote(relative.as_posix()), uri_base_id=SRCROOT)


def _plain(value: Any) -> Any:
    """sarif-om objects -> JSON data, by schema property name, leaving out unset defaults."""
    if attr.has(type(value)):
        out = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            default = field.default
            if isinstance(default, attr.Factory):  # type: ignore[arg-type]
                default = default.factory()
            if item is None or (item == default and field.name not in ALWAYS_WRITTEN):
                continue
            out[field.metadata["schema_property_name"]] = _plain(item)
        return out
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
