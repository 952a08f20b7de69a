"""In-template suppressions: scope, forms, cfn-lint's ignore_checks, unused and reasonless entries,
and how suppressed findings appear (or do not) in each output format."""

from __future__ import annotations

import json

import jsonschema
import pytest

from awslint_rules.engine import Settings, lint_bytes

from .conftest import EXAMPLE, FIXTURES, SARIF_SCHEMA, invoke

USED = FIXTURES / "IA0002" / "pass_used.yaml"


def with_metadata(resource_metadata: str = "", template_metadata: str = "") -> bytes:
    """The example template with Metadata on JobsQueue and/or the template."""
    text = EXAMPLE.read_text()
    if resource_metadata:
        text = text.replace("  JobsQueue:\n    Type: AWS::SQS::Queue\n",
                            "  JobsQueue:\n    Type: AWS::SQS::Queue\n    Metadata:\n"
                            + _indent(resource_metadata, 6))
    if template_metadata:
        text = text.replace("Globals:", "Metadata:\n" + _indent(template_metadata, 2) + "Globals:")
    return text.encode()


def _indent(text: str, width: int) -> str:
    return "".join(" " * width + line + "\n" for line in text.splitlines())


def rules_of(findings) -> list[str]:
    return sorted(f.rule for f in findings)


@pytest.fixture(scope="module")
def default_settings(catalog) -> Settings:
    """What a run without a selection checks: the rules that are on by default."""
    return Settings({i: r for i, r in catalog.items() if r.on_by_default}, known_rules=catalog)


def test_resource_suppression_applies_to_that_resource_only(default_settings):
    raw = with_metadata("awslint-rules:\n  ignore:\n    - rule: WA3\n      reason: drained by hand")
    result = lint_bytes("t.yaml", raw, default_settings)
    assert rules_of(result.findings) == ["WA1001", "WA2001", "WA5001", "WA8001"]
    assert [(s.finding.rule, s.finding.resource, s.reason, s.kind) for s in result.suppressed] == [
        ("WA3003", "JobsQueue", "drained by hand", "inSource"),
        ("WA3002", "JobsQueue", "drained by hand", "inSource"),
    ]


def test_template_suppression_and_mapping_form(settings):
    raw = with_metadata(template_metadata="awslint-rules:\n  ignore: {WA8001: legacy clients}")
    result = lint_bytes("t.yaml", raw, settings)
    assert "WA8001" not in rules_of(result.findings)
    assert [s.reason for s in result.suppressed] == ["legacy clients"]


def test_sam_resource_suppression_covers_findings_located_in_globals(default_settings):
    """WA2001 on ApiFunction points at Globals.Function.Timeout; the SAM resource suppresses it."""
    result = lint_bytes(str(USED), USED.read_bytes(), default_settings)
    assert result.findings == []
    assert rules_of(s.finding for s in result.suppressed) == [
        "WA1001", "WA2001", "WA3002", "WA3003", "WA5001", "WA8001"]
    reasons = {s.finding.rule: s.reason for s in result.suppressed}
    assert reasons["WA1001"] == "cfn-lint ignore_checks"
    assert reasons["WA2001"] == "the API answers 202 before the 29 s limit"


def test_cfn_lint_ignore_checks_only_for_our_ids(settings):
    raw = with_metadata("cfn-lint:\n  config:\n    ignore_checks: [W3002, E]")
    result = lint_bytes("t.yaml", raw, settings)
    assert result.suppressed == [] and "WA3002" in rules_of(result.findings)


def test_without_reason_still_suppresses_but_is_reported(settings):
    raw = with_metadata("awslint-rules:\n  ignore: [WA3002]")
    result = lint_bytes("t.yaml", raw, settings)
    assert "WA3002" not in rules_of(result.findings)
    invalid = [f for f in result.findings if f.rule == "WA0003"]
    assert len(invalid) == 1 and invalid[0].resource == "JobsQueue"
    assert invalid[0].level == "warning" and "has no reason" in invalid[0].message


def test_unused_suppression_is_info_and_typos_are_named(settings):
    raw = with_metadata("awslint-rules:\n  ignore:\n    - {rule: WA8001, reason: wrong resource}\n"
                        "    - {rule: WA3092, reason: typo}")
    unused = [f for f in lint_bytes("t.yaml", raw, settings).findings if f.rule == "IA0002"]
    assert [f.level for f in unused] == ["info", "info"]
    assert "WA8001 on resource 'JobsQueue' matched no finding" in unused[0].message
    assert "WA3092 on resource 'JobsQueue' matches no rule id" in unused[1].message


def test_suppression_for_a_rule_that_did_not_run_is_not_unused(catalog):
    raw = with_metadata("awslint-rules:\n  ignore:\n    - {rule: WA3002, reason: fine}")
    selected = {k: v for k, v in catalog.items() if not k.startswith("WA3")}
    result = lint_bytes("t.yaml", raw, Settings(selected, known_rules=frozenset(catalog)))
    assert "IA0002" not in rules_of(result.findings)
    # without the full list of rule ids the engine treats the selected rules as all there is
    result = lint_bytes("t.yaml", raw, Settings(selected))
    assert "IA0002" in rules_of(result.findings)


def test_meta_findings_cannot_be_suppressed_and_can_be_ignored(catalog):
    raw = with_metadata("awslint-rules:\n  ignore: [WA3002]",
                        "awslint-rules:\n  ignore:\n    - {rule: WA0, reason: no}\n"
                        "    - {rule: IA0, reason: no}")
    findings = lint_bytes("t.yaml", raw, Settings(catalog)).findings
    assert {"WA0003", "IA0002"} <= set(rules_of(findings))
    without = {k: v for k, v in catalog.items() if k not in ("WA0003", "IA0002")}
    assert not {"WA0003", "IA0002"} & set(rules_of(lint_bytes("t.yaml", raw,
                                                              Settings(without)).findings))


@pytest.fixture
def suppressed_template(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(
        with_metadata("awslint-rules:\n  ignore:\n    - {rule: WA3, reason: drained by hand}"))
    return "t.yaml"


def test_text_counts_suppressed_and_lists_them_on_request(suppressed_template):
    plain = invoke(suppressed_template).stdout.splitlines()
    assert not any("WA3002" in line for line in plain)
    assert plain[-1] == ("4 findings (0 error, 4 warning, 0 info) in 1 template; "
                         "2 suppressed in templates")
    shown = invoke("--show-suppressed", suppressed_template).stdout
    assert "WA3002 Queue 'JobsQueue'" in shown and "[suppressed: drained by hand]" in shown


def test_exit_code_ignores_suppressed_findings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(with_metadata(
        template_metadata="awslint-rules:\n  ignore:\n    - {rule: W, reason: accepted}"))
    assert invoke(str(tmp_path / "t.yaml")).exit_code == 0


def test_json_marks_suppressed_findings_only_on_request(suppressed_template):
    plain = json.loads(invoke("--format", "json", suppressed_template).stdout)
    assert all("suppression" not in f for f in plain) and len(plain) == 4
    shown = json.loads(invoke("--format", "json", "--show-suppressed", suppressed_template).stdout)
    marked = [f for f in shown if "suppression" in f]
    assert [f["rule"] for f in marked] == ["WA3003", "WA3002"]
    assert marked[0]["suppression"] == {"kind": "inSource", "justification": "drained by hand"}


def test_sarif_omits_suppressed_unless_asked_and_stays_valid(suppressed_template):
    plain = json.loads(invoke("--format", "sarif", suppressed_template).stdout)
    assert {r["ruleId"] for r in plain["runs"][0]["results"]} == {
        "WA1001", "WA2001", "WA5001", "WA8001"}
    shown = json.loads(invoke("--format", "sarif", "--show-suppressed",
                              suppressed_template).stdout)
    results = shown["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in suppressed] == ["WA3003", "WA3002"]
    assert suppressed[0]["suppressions"] == [{"kind": "inSource",
                                              "justification": "drained by hand"}]
    assert all("suppressions" not in r for r in results if r["ruleId"] not in ("WA3002",
                                                                               "WA3003"))
    if SARIF_SCHEMA.exists():
        jsonschema.validate(shown, json.loads(SARIF_SCHEMA.read_text()))


def test_github_never_annotates_suppressed(suppressed_template):
    out = invoke("--format", "github", "--show-suppressed", suppressed_template).stdout
    assert "WA3002" not in out and out.count("::warning") == 4
