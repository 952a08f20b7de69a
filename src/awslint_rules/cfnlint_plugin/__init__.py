"""awslint-rules as a cfn-lint plugin: `cfn-lint -a awslint_rules.cfnlint_plugin template.yaml`.

cfn-lint imports this module (`-a/--append-rules`, or `append_rules` in `.cfnlintrc`) and
instantiates every `CloudFormationLintRule` subclass it finds in it: one class per rule of the
catalog, with the same id (`WA3002`), so cfn-lint derives the severity from the first letter and
runs `I` rules only with `-c I`, exactly as for its own rules. The awslint-rules engine runs once
per template (see `_run.py`); each class returns its rule's findings as `RuleMatch`es with the
standalone run's exact locations.

A rule that is off by default (`on_by_default: false`) has its class too, but reports only when
the awslint-rules configuration file (`.awslint-rules.yaml` or `[tool.awslint-rules]`, found
from the working directory upwards) switches it on with `select` or `extend-select`.

EA0000 (template-parse-error) has no class: cfn-lint decodes the file before any rule runs and
reports what it cannot parse as E0000, and what it parses but awslint-rules rejects (empty or
non-mapping `Resources`) as its own schema errors (E1001, E3001), so a plugin EA0000 could only
repeat them. EA0004 (duplicate-key) has none either: cfn-lint reports duplicate keys itself
(E0000 "Duplicate found") and then runs no rule on the file; where it lets one through (next to a
merge key `<<`), it has decided so.

This is the only module of awslint-rules that imports cfn-lint; the standalone command never
imports it.
"""

from __future__ import annotations

from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ..catalog import Rule
from ..engine import DUPLICATE_KEY, PARSE_ERROR
from ._run import catalog, findings_for

SKIPPED = frozenset({PARSE_ERROR, DUPLICATE_KEY})


def _match(self: CloudFormationLintRule, cfn: Any) -> list[RuleMatch]:
    result = findings_for(cfn)
    matches = []
    for finding in result.by_rule.get(self.id, ()):
        path = list(finding.path)
        if result.from_file:
            span = finding.span
            location = (span.line - 1, span.column - 1, span.end_line - 1, span.end_column - 1)
            matches.append(RuleMatch(path, finding.message, location=location))
        else:  # no file to read: cfn-lint locates the path in its own decoded template
            matches.append(RuleMatch(path, finding.message))
    return matches


def _class_name(rule: Rule) -> str:
    return rule.id + "".join(part.capitalize() for part in rule.name.replace("_", "-").split("-"))


def _rule_class(rule: Rule) -> type[CloudFormationLintRule]:
    return type(_class_name(rule), (CloudFormationLintRule,), {
        "__module__": __name__,
        "__doc__": rule.summary,
        "id": rule.id,
        "shortdesc": rule.name,
        "description": rule.summary,
        "source_url": rule.docs_url or "",
        "tags": ["awslint-rules", *(rule.doc.get("tags") or [])],
        "match": _match,
    })


RULE_CLASSES = [_rule_class(rule) for rule in catalog().values() if rule.id not in SKIPPED]
globals().update({cls.__name__: cls for cls in RULE_CLASSES})
__all__ = [cls.__name__ for cls in RULE_CLASSES]
