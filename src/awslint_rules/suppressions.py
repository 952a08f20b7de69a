"""In-template suppressions: `Metadata: awslint-rules: ignore:` and cfn-lint's `ignore_checks`.

Template level (every finding in the file) or per resource (findings whose `resource` is that
logical id; for SAM, the SAM resource):

    Metadata:
      awslint-rules:
        ignore:
          - rule: WA3002          # a rule id or a prefix (WA3)
            reason: "the consumer is idempotent"
        # or, as a mapping:  ignore: {WA3002: "the consumer is idempotent"}

cfn-lint's `Metadata: cfn-lint: config: ignore_checks: [WA3002]` is honoured for ids of this
linter (`EA`, `WA`, `IA` ..., and user rules `?U`); it carries no reason. An entry without a
reason still suppresses what it names but is reported as WA0003; an entry that is not a rule id
(or names IA0002/WA0003) suppresses nothing and is reported as WA0003; an entry that matched
no finding is reported as IA0002.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from .findings import Finding
from .load import Path

SECTION = "awslint-rules"
UNUSED = "IA0002"
INVALID = "WA0003"
META_RULES = frozenset({UNUSED, INVALID})
CFN_LINT_REASON = "cfn-lint ignore_checks"
_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9]{0,4}$")
_OUR_IDS = re.compile(r"^[EWI][AU][0-9]{0,4}$")  # built-in (A) and user (U) rules


@dataclass(frozen=True)
class Suppression:
    pattern: str  # a rule id or prefix, upper case
    reason: str | None
    resource: str | None  # None: the whole template
    path: Path  # where the entry is, for reporting it
    key: bool = False  # the entry is a mapping key (the `{WA3002: reason}` form)

    def matches(self, finding: Finding) -> bool:
        if finding.rule in META_RULES or not finding.rule.startswith(self.pattern):
            return False
        return self.resource is None or finding.resource == self.resource


@dataclass(frozen=True)
class Problem:
    """An entry that is not `{rule: ID, reason: TEXT}`."""

    message: str
    resource: str | None
    path: Path
    key: bool = False


@dataclass(frozen=True)
class Suppressed:
    finding: Finding
    reason: str | None
    kind: str = "inSource"  # SARIF: inSource (template Metadata) or external (a baseline)


def read(data: dict[str, Any]) -> tuple[list[Suppression], list[Problem]]:
    """Every suppression entry of a template, and the malformed ones."""
    suppressions: list[Suppression] = []
    problems: list[Problem] = []
    scopes: list[tuple[str | None, Path, Any]] = [(None, ("Metadata",), data.get("Metadata"))]
    resources = data.get("Resources")
    if isinstance(resources, dict):
        scopes += [
            (logical_id, ("Resources", logical_id, "Metadata"), body.get("Metadata"))
            for logical_id, body in resources.items()
            if isinstance(body, dict)
        ]
    for resource, path, metadata in scopes:
        if not isinstance(metadata, dict):
            continue
        for item in _own(metadata.get(SECTION), resource, (*path, SECTION)):
            (suppressions if isinstance(item, Suppression) else problems).append(item)
        suppressions.extend(_cfn_lint(metadata.get("cfn-lint"), resource, path))
    return suppressions, problems


def _own(section: Any, resource: str | None, path: Path) -> Iterator[Suppression | Problem]:
    if section is None:
        return
    if not isinstance(section, dict) or set(section) - {"ignore"}:
        yield Problem(f"`{SECTION}` metadata takes only `ignore:`, a list of "
                      "{rule: ID, reason: TEXT}", resource, path)
        if not isinstance(section, dict):
            return
    entries = section.get("ignore")
    path = (*path, "ignore")
    if entries is None:
        return
    if isinstance(entries, str):
        entries = [entries]
    if isinstance(entries, dict):
        for rule, reason in entries.items():
            yield from _entry(rule, reason, resource, (*path, rule), key=True)
    elif isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield from _entry(entry.get("rule"), entry.get("reason"), resource, (*path, index))
            else:
                yield from _entry(entry, None, resource, (*path, index))
    else:
        yield Problem("`ignore` must be a list of {rule: ID, reason: TEXT}", resource, path)


def _entry(rule: Any, reason: Any, resource: str | None, path: Path,
           key: bool = False) -> Iterator[Suppression | Problem]:
    if rule is None:
        yield Problem("suppression entry has no `rule`", resource, path, key)
        return
    if not isinstance(rule, str) or not _PATTERN.match(rule.strip().upper()):
        yield Problem(f"suppression entry {rule!r} is not a rule id or prefix "
                      "(write {rule: WA3002, reason: ...})", resource, path, key)
        return
    pattern = rule.strip().upper()
    if pattern in META_RULES:
        yield Problem(f"{pattern} reports on suppressions themselves and cannot be suppressed "
                      "in Metadata: use --ignore or the configuration's `ignore`",
                      resource, path, key)
        return
    text = reason.strip() if isinstance(reason, str) and reason.strip() else None
    if text is None:
        yield Problem(f"suppression of {pattern} has no reason: add `reason: ...` saying why "
                      "the finding does not apply", resource, path, key)
    yield Suppression(pattern, text, resource, path, key)


def _cfn_lint(section: Any, resource: str | None, path: Path) -> Iterator[Suppression]:
    config = section.get("config") if isinstance(section, dict) else None
    checks = config.get("ignore_checks") if isinstance(config, dict) else None
    if isinstance(checks, str):
        checks = [checks]
    if not isinstance(checks, list):
        return
    base = (*path, "cfn-lint", "config", "ignore_checks")
    for index, check in enumerate(checks):
        if isinstance(check, str) and _OUR_IDS.match(check.strip().upper()):
            yield Suppression(check.strip().upper(), CFN_LINT_REASON, resource, (*base, index))


def apply(
    findings: list[Finding], suppressions: list[Suppression]
) -> tuple[list[Finding], list[Suppressed], set[Suppression]]:
    """(findings kept, findings suppressed, suppressions that matched something)."""
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    used: set[Suppression] = set()
    for finding in findings:
        matching = [s for s in suppressions if s.matches(finding)]
        if not matching:
            kept.append(finding)
            continue
        used.update(matching)
        # the resource's own entry explains it best; then the template-wide one
        best = min(matching, key=lambda s: (s.resource is None, s.reason is None))
        suppressed.append(Suppressed(finding, best.reason))
    return kept, suppressed, used


def unused_message(suppression: Suppression, known: Collection[str],
                   selected: Collection[str]) -> str | None:
    """Why an entry that matched nothing is worth reporting (None: the rule did not run)."""
    where = f"resource '{suppression.resource}'" if suppression.resource else "this template"
    if not any(rule_id.startswith(suppression.pattern) for rule_id in known):
        return f"suppression of {suppression.pattern} on {where} matches no rule id"
    if not any(rule_id.startswith(suppression.pattern) for rule_id in selected):
        return None
    return (f"suppression of {suppression.pattern} on {where} matched no finding: "
            "remove it if the problem was fixed")
