"""Engine: one file -> Document -> Template -> Graph -> every selected rule -> Findings."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import Rule
from .findings import Finding, Hit, Related, fingerprint
from .load import FILE_START, Document, NotATemplate, ParseError, Span, load_document
from .template import Template

PARSE_ERROR = "EA0000"
INTERNAL_ERROR = "EA0001"


@dataclass
class Settings:
    rules: Mapping[str, Rule]
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FileResult:
    file: str
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # why the file is not a template


def lint_file(file: str, settings: Settings) -> FileResult:
    try:
        raw = _read(file)
    except OSError as error:
        return FileResult(file, skipped=f"cannot read: {error.strerror or error}")
    return lint_bytes(file, raw, settings)


def _read(file: str) -> bytes:
    if file == "-":
        import sys

        return sys.stdin.buffer.read()
    with open(file, "rb") as handle:
        return handle.read()


def lint_bytes(file: str, raw: bytes, settings: Settings) -> FileResult:
    try:
        document = load_document(file, raw)
    except NotATemplate as reason:
        return FileResult(file, skipped=str(reason))
    except ParseError as error:
        return FileResult(file, _engine_finding(settings, PARSE_ERROR, file, error.message,
                                                error.span))
    template = Template(document, settings.parameters)
    findings: list[Finding] = []
    for rule in settings.rules.values():
        findings.extend(_run_rule(rule, template, settings))
    return FileResult(file, _deduplicated(findings))


def _run_rule(rule: Rule, template: Template, settings: Settings) -> list[Finding]:
    try:
        check = rule.resolve_check()
        if check is None:
            return []
        return [_finding(rule, template.document, hit) for hit in check(template, rule)]
    except Exception as error:
        message = f"rule {rule.id} failed on this template: {type(error).__name__}: {error}"
        return _engine_finding(settings, INTERNAL_ERROR, template.path, message, FILE_START)


def _engine_finding(
    settings: Settings, rule_id: str, file: str, message: str, span: Span
) -> list[Finding]:
    rule = settings.rules.get(rule_id)
    if rule is None:
        return []
    return [Finding(rule_id, rule.level, message, file, span,
                    fingerprint=fingerprint(rule_id, file, None, (), message))]


def _finding(rule: Rule, document: Document, hit: Hit) -> Finding:
    related = tuple(
        Related(document.path, document.locate(place.path, key=place.key), place.message)
        for place in hit.related
    )
    message = hit.full_message
    return Finding(
        rule=rule.id,
        level=rule.level,
        message=message,
        file=document.path,
        span=document.locate(hit.at.path, key=hit.at.key),
        resource=hit.resource,
        path=hit.at.path,
        related=related,
        fingerprint=fingerprint(rule.id, _portable(document.path), hit.resource, hit.at.path,
                                _identity(hit)),
    )


def _identity(hit: Hit) -> str:
    """What tells two findings of one rule at one path apart: the condition and the other side."""
    return repr((hit.when, sorted("/".join(map(str, place.path)) for place in hit.related)))


def _portable(file: str) -> str:
    return file.replace(os.sep, "/")


def _deduplicated(findings: Iterable[Finding]) -> list[Finding]:
    unique: dict[tuple[Any, ...], Finding] = {}
    for finding in findings:
        unique.setdefault((finding.rule, finding.span, finding.message), finding)
    return sorted(unique.values(), key=lambda f: f.sort_key)
