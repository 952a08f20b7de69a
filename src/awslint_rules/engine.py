"""Engine: one file -> Document -> Template -> Graph -> every selected rule -> Findings."""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import suppressions
from .assembly import (
    FOREIGN,
    Assembly,
    construct_path,
    linked_resources,
    linked_uses,
    locate,
    with_construct_paths,
)
from .catalog import ENGINE_CHECKS, CatalogError, Rule
from .findings import Finding, Hit, Related, fingerprint
from .intrinsics import merge_conditions
from .load import (
    FILE_START,
    Document,
    NotATemplate,
    ParseError,
    Path,
    Span,
    duplicate_message,
    load_document,
)
from .model import Model, StageFailed, build_model
from .suppressions import Suppressed
from .template import Template, invalid_parameter, undeclared_parameters

PARSE_ERROR = "EA0000"
DUPLICATE_KEY = "EA0004"
UNREADABLE = "cannot read: "  # FileResult.skipped of a file that vanished or cannot be read
# FileResult.skipped of a template given a parameter value outside the parameter's AllowedValues
INVALID_PARAMETER = "invalid parameter: "
INTERNAL_ERROR = "EA0001"


Check = Callable[[Model, Rule], Iterator[Hit]]


@dataclass
class Settings:
    rules: Mapping[str, Rule]
    parameters: Mapping[str, str] = field(default_factory=dict)
    # every rule id that exists (selected or not): a suppression naming none of them is a typo
    known_rules: Collection[str] = ()
    region: str | None = None  # the AWS Region the stacks are deployed to, when known
    assembly: Assembly | None = None  # the links between the templates of the run
    checks: dict[str, Check] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.checks = compile_checks(self.rules)


def compile_checks(rules: Mapping[str, Rule]) -> dict[str, Check]:
    """Each rule's check function; a `check:` that names no function or a `match:` that does not
    validate is a CatalogError naming the rule's file and key, before any template is linted."""
    from .checks.declarative import declarative_check, validate_match

    checks: dict[str, Check] = {}
    for rule in rules.values():
        if rule.match is not None:
            problems = validate_match(rule.match, compile_where=not rule.builtin)
            if problems:
                raise CatalogError(f"{rule.source}: " + "; ".join(problems))
            checks[rule.id] = declarative_check
        elif rule.check_name not in ENGINE_CHECKS:
            checks[rule.id] = _builtin_check(rule)
    return checks


def _builtin_check(rule: Rule) -> Check:
    """`sqs:queue_without_dlq` -> the function in awslint_rules.checks.sqs."""
    module_name, _, function_name = str(rule.check_name).partition(":")
    try:
        module = importlib.import_module(f"awslint_rules.checks.{module_name}")
    except ImportError:
        module = None
    check = getattr(module, function_name, None) if module and function_name else None
    if not callable(check):
        raise CatalogError(f"{rule.source}: check: '{rule.check_name}' names no check function "
                           "(expected 'module:function' of src/awslint_rules/checks/)")
    return check


@dataclass
class FileResult:
    file: str
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # why the file is not a template
    suppressed: list[Suppressed] = field(default_factory=list)  # by the template's Metadata
    # what the run should say under -v: a given parameter this template does not declare
    notes: list[str] = field(default_factory=list)
    # (file, logical id) of resources of linked templates this template's wiring uses
    linked_uses: set[tuple[str, str]] = field(default_factory=set)


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
    notes = undeclared_parameters(document.data, settings.parameters)
    invalid = invalid_parameter(document.data, settings.parameters)
    if invalid is not None:
        return FileResult(file, skipped=f"{INVALID_PARAMETER}{invalid}", notes=notes)
    findings = _duplicate_keys(document, settings)
    try:
        model = _model(document, settings)
    except StageFailed as failure:
        findings += engine_finding(settings, INTERNAL_ERROR, file, str(failure))
        return FileResult(file, _deduplicated(findings), notes=notes)
    for rule in settings.rules.values():
        findings.extend(_run_rule(rule, model, settings))
    result = FileResult(file, _deduplicated(findings), notes=notes,
                        linked_uses=linked_uses(model) if settings.assembly else set())
    return _suppressed(result, document, settings)


def _duplicate_keys(document: Document, settings: Settings) -> list[Finding]:
    """EA0004 at each key written twice (the later one, which CloudFormation keeps)."""
    findings = []
    seen: dict[Path, int] = {}
    for duplicate in document.duplicates:
        path = (*duplicate.path, duplicate.key)
        seen[path] = seen.get(path, 0) + 1  # which repetition: fingerprints know no lines
        resource = path[1] if path[:1] == ("Resources",) and len(path) > 2 else None
        earlier = Related(document.path, duplicate.earlier,
                          "earlier key, ignored by CloudFormation")
        findings += engine_finding(settings, DUPLICATE_KEY, document.path,
                                   duplicate_message(duplicate), duplicate.later,
                                   str(resource) if resource else None, path, (earlier,),
                                   identity=str(seen[path]))
    return findings


def _model(document: Document, settings: Settings) -> Model:
    """The template and its graph, built once for every rule; a stage that raises is reported
    once, naming the stage."""
    try:
        region = _region(document, settings)
        template = Template(document, settings.parameters, region)
        if settings.assembly is not None:
            settings.assembly.link(template, settings.parameters)
    except Exception as error:
        raise StageFailed("template", error) from error
    return build_model(template, region)


def _region(document: Document, settings: Settings) -> str | None:
    """The Region of the stack: its cloud assembly manifest's, else the `region` setting."""
    found = settings.assembly.region_of(document.path) if settings.assembly else None
    return found or settings.region


def _suppressed(result: FileResult, document: Document, settings: Settings) -> FileResult:
    """Apply the template's suppressions; report malformed (WA0003) and unused (IA0002) ones."""
    if settings.assembly is not None:
        result.findings, result.suppressed = settings.assembly.suppress_linked(result.findings,
                                                                               document.path)
    entries, problems = suppressions.read(document.data)
    if not entries and not problems:
        return result
    kept, suppressed, used = suppressions.apply(result.findings, entries)
    result.suppressed += suppressed
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


def _run_rule(rule: Rule, model: Model, settings: Settings) -> list[Finding]:
    check = settings.checks.get(rule.id)
    if check is None:
        return []
    try:
        hits = list(check(model, rule))
        return [f for hit in hits if (f := _finding(rule, model.template, hit)) is not None]
    except StageFailed as failure:  # the same message from every rule: deduplicated to one
        return engine_finding(settings, INTERNAL_ERROR, model.template.path, str(failure))
    except Exception as error:
        message = f"rule {rule.id} failed on this template: {type(error).__name__}: {error}"
        return engine_finding(settings, INTERNAL_ERROR, model.template.path, message, FILE_START)


def engine_finding(
    settings: Settings, rule_id: str, file: str, message: str, span: Span = FILE_START,
    resource: str | None = None, path: Path = (), related: tuple[Related, ...] = (),
    identity: str | None = None,
) -> list[Finding]:
    """A finding of the engine itself (EA0000, EA0001, EA0004, suppression reports), when that
    rule is selected. `identity` tells findings at one path apart (default: the message)."""
    rule = settings.rules.get(rule_id)
    if rule is None:
        return []
    extra = message if identity is None else identity
    return [Finding(rule_id, rule.level, message, file, span, resource, path, related,
                    fingerprint=fingerprint(rule_id, _portable(file), resource, path, extra))]


def _finding(rule: Rule, template: Template, hit: Hit) -> Finding | None:
    """The hit located in the file; under its resource's `Condition` too (None when the two
    cannot hold together: the finding is about a resource that does not exist then)."""
    resource = template.resources.get(hit.resource) if hit.resource else None
    when = merge_conditions(hit.when, resource.conditions if resource else ())
    if when is None or not template.can_hold(when):
        return None
    hit = Hit(hit.message, hit.at, template.declared_id(hit.resource), hit.related, when)
    file, span, path = locate(template, hit.at.path, hit.at.key)
    related = tuple(
        Related(*locate(template, place.path, place.key)[:2], place.message)
        for place in hit.related
    )
    if file != template.path and all(r.file != template.path for r in related):
        return None  # all in a linked template: its own run reports it
    resources = linked_resources(template)
    return Finding(
        rule=rule.id,
        level=rule.level,
        message=with_construct_paths(hit.full_message, resources),
        file=file,
        span=span,
        resource=hit.resource,
        path=path,
        related=related,
        fingerprint=fingerprint(rule.id, _portable(file), hit.resource, path, _identity(hit)),
        construct=construct_path(resources, hit.resource),
    )


def _identity(hit: Hit) -> str:
    """What tells two findings of one rule at one path apart: the condition and the other side."""
    return repr((hit.when, sorted(_path_text(place.path) for place in hit.related)))


def _path_text(path: Path) -> str:
    """A path as text; one in a linked template names that file as fingerprints know it."""
    head = path[0] if path else None
    if isinstance(head, str) and head.startswith(FOREIGN):
        path = (FOREIGN + _portable(head[len(FOREIGN):]), *path[1:])
    return "/".join(map(str, path))


def _portable(file: str) -> str:
    """The file as fingerprints know it: `./t.yaml`, `t.yaml` and `$PWD/t.yaml` are one file,
    so a baseline written by `awslint-rules .` matches `awslint-rules t.yaml`."""
    return file if file == "-" else _relative(file, os.getcwd())


@lru_cache(maxsize=64)
def _relative(file: str, cwd: str) -> str:
    absolute = os.path.normpath(os.path.join(cwd, file))
    try:
        relative = os.path.relpath(absolute, cwd)
    except ValueError:  # another drive
        relative = ".."
    return (absolute if relative.startswith("..") else relative).replace(os.sep, "/")


def _deduplicated(findings: Iterable[Finding]) -> list[Finding]:
    unique: dict[tuple[Any, ...], Finding] = {}
    for finding in findings:
        unique.setdefault((finding.rule, finding.span, finding.message), finding)
    return sorted(unique.values(), key=lambda f: f.sort_key)
