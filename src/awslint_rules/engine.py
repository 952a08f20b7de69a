"""Engine: one file -> Document -> Template -> Graph -> every selected rule -> Findings."""

from __future__ import annotations

import gc
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import suppressions
from .catalog import Rule
from .findings import Finding, Hit, Related, fingerprint
from .load import FILE_START, Document, NotATemplate, ParseError, Path, Span, load_document
from .suppressions import Suppressed
from .template import Template

PARSE_ERROR = "EA0000"
UNREADABLE = "cannot read: "  # FileResult.skipped of a file that vanished or cannot be read
INTERNAL_ERROR = "EA0001"


@dataclass
class Settings:
    rules: Mapping[str, Rule]
    parameters: Mapping[str, str] = field(default_factory=dict)
    # every rule id that exists (selected or not): a suppression naming none of them is a typo
    known_rules: Collection[str] = ()


@dataclass
class FileResult:
    file: str
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # why the file is not a template
    suppressed: list[Suppressed] = field(default_factory=list)  # by the template's Metadata


def lint_file(file: str, settings: Settings) -> FileResult:
    try:
        raw = _read(file)
    except OSError as error:
        return FileResult(file, skipped=f"{UNREADABLE}{error.strerror or error}")
    return lint_bytes(file, raw, settings)


def _read(file: str) -> bytes:
    if file == "-":
        import sys

        return sys.stdin.buffer.read()
    with open(file, "rb") as handle:
        return handle.read()


def lint_bytes(file: str, raw: bytes, settings: Settings) -> FileResult:
    # A template's values hold no reference cycles; the cyclic collector would only rescan the
    # growing heap of parsed nodes again and again (3x the time on a 5 MB template).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _lint(file, raw, settings)
    finally:
        if collecting:
            gc.enable()


def _lint(file: str, raw: bytes, settings: Settings) -> FileResult:
    try:
        document = load_document(file, raw)
    except NotATemplate as reason:
        return FileResult(file, skipped=str(reason))
    except ParseError as error:
        return FileResult(file, engine_finding(settings, PARSE_ERROR, file, error.message,
                                                error.span))
    template = Template(document, settings.parameters)
    findings: list[Finding] = []
    for rule in settings.rules.values():
        findings.extend(_run_rule(rule, template, settings))
    return _suppressed(FileResult(file, _deduplicated(findings)), document, settings)


def _suppressed(result: FileResult, document: Document, settings: Settings) -> FileResult:
    """Apply the template's suppressions; report malformed (WA0003) and unused (IA0002) ones."""
    entries, problems = suppressions.read(document.data)
    if not entries and not problems:
        return result
    kept, result.suppressed, used = suppressions.apply(result.findings, entries)
    for problem in problems:
        kept += _meta_finding(settings, suppressions.INVALID, document, problem.message,
                              problem.resource, problem.path, problem.key)
    known = settings.known_rules or settings.rules
    for entry in entries:
        message = None if entry in used else suppressions.unused_message(entry, known,
                                                                         settings.rules)
        if message is not None:
            kept += _meta_finding(settings, suppressions.UNUSED, document, message,
                                  entry.resource, entry.path, entry.key)
    result.findings = _deduplicated(kept)
    return result


def _meta_finding(settings: Settings, rule_id: str, document: Document, message: str,
                  resource: str | None, path: Path, key: bool) -> list[Finding]:
    span = document.locate(path, key=key)
    return engine_finding(settings, rule_id, document.path, message, span, resource, path)


def _run_rule(rule: Rule, template: Template, settings: Settings) -> list[Finding]:
    try:
        check = rule.resolve_check()
        if check is None:
            return []
        return [_finding(rule, template.document, hit) for hit in check(template, rule)]
    except Exception as error:
        message = f"rule {rule.id} failed on this template: {type(error).__name__}: {error}"
        return engine_finding(settings, INTERNAL_ERROR, template.path, message, FILE_START)


def engine_finding(
    settings: Settings, rule_id: str, file: str, message: str, span: Span = FILE_START,
    resource: str | None = None, path: Path = (),
) -> list[Finding]:
    """A finding of the engine itself (EA0000, EA0001, suppression reports), when that rule is
    selected."""
    rule = settings.rules.get(rule_id)
    if rule is None:
        return []
    return [Finding(rule_id, rule.level, message, file, span, resource, path,
                    fingerprint=fingerprint(rule_id, _portable(file), resource, path, message))]


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
    """The file as fingerprints know it: `./t.yaml`, `t.yaml` and `$PWD/t.yaml` are one file,
    so a baseline written by `awslint-rules .` matches `awslint-rules t.yaml`."""
    if file == "-":
        return file
    absolute = os.path.abspath(file)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # another drive
        relative = ".."
    return (absolute if relative.startswith("..") else relative).replace(os.sep, "/")


def _deduplicated(findings: Iterable[Finding]) -> list[Finding]:
    unique: dict[tuple[Any, ...], Finding] = {}
    for finding in findings:
        unique.setdefault((finding.rule, finding.span, finding.message), finding)
    return sorted(unique.values(), key=lambda f: f.sort_key)
