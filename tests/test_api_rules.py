"""Options of the API Gateway rules of issue 10."""

from __future__ import annotations

from dataclasses import replace

from awslint_rules.engine import Settings, lint_bytes

from .conftest import FIXTURES


def _with_option(catalog, rule_id: str, **options) -> Settings:
    rules = dict(catalog)
    rule = rules[rule_id]
    rules[rule_id] = replace(rule, options={**rule.options, **options})
    return Settings(rules)


def test_ia2006_reports_the_implicit_sam_apis_only_when_asked(catalog):
    path = FIXTURES / "IA2006" / "fail_sam.yaml"
    raw = path.read_bytes()

    def fired(settings: Settings) -> list[str]:
        return sorted(f"{f.span.line}:{f.span.column} {f.resource}"
                      for f in lint_bytes(str(path), raw, settings).findings
                      if f.rule == "IA2006")

    assert fired(Settings(dict(catalog))) == ["23:3 Explicit"]
    assert fired(_with_option(catalog, "IA2006", include_implicit_apis=True)) == [
        "21:9 ServerlessHttpApi", "23:3 Explicit", "4:5 ServerlessRestApi"]
