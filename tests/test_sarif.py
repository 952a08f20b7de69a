"""SARIF: valid against the official 2.1.0 schema and carrying what GitHub code scanning reads."""

from __future__ import annotations

import json

import jsonschema
import pytest

from awslint_rules.engine import lint_file
from awslint_rules.sarif import sarif_report

from .conftest import EXAMPLE, FIXTURES, ROOT, SARIF_SCHEMA, run_cli

TEMPLATES = [EXAMPLE,
             FIXTURES / "EA0000" / "fail_invalid_yaml.yaml",
             FIXTURES / "EA0004" / "fail_duplicate_key.yaml",  # a related location
             *sorted(FIXTURES.glob("WA3002/fail_*.yaml"))[:2]]


@pytest.fixture(scope="module")
def log(settings):
    findings = sorted(
        (f for path in TEMPLATES for f in lint_file(str(path), settings).findings),
        key=lambda f: f.sort_key,
    )
    assert findings
    return json.loads(sarif_report(findings, settings.rules, root=str(ROOT)))


def test_valid_against_the_official_schema(log):
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA} (../shared is absent)")
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))


def test_rules_metadata(log):
    driver = log["runs"][0]["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    wa3002 = rules["WA3002"]
    assert wa3002["name"] == "queue-visibility-below-six-times-timeout"
    assert wa3002["defaultConfiguration"]["level"] == "warning"
    assert wa3002["help"]["text"] and "```yaml" in wa3002["help"]["markdown"]
    assert wa3002["helpUri"].startswith("https://docs.aws.amazon.com/")
    assert "sqs" in wa3002["properties"]["tags"]
    assert rules["EA0000"]["defaultConfiguration"]["level"] == "error"


def test_results_are_explicit_and_repo_relative(log):
    run = log["runs"][0]
    results = run["results"]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert run["automationDetails"]["id"] == "awslint-rules/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    for result in results:
        assert result["level"] in ("error", "warning", "note")
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
        assert result["partialFingerprints"]["awslintRules/v1"]
    warning = next(r for r in results if r["ruleId"] == "WA2001")
    assert warning["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "examples/sam-api-and-queue.yaml")
    assert warning["relatedLocations"][0]["message"]["text"]


def _sarif_of(text: str, tmp_path, settings) -> dict:
    template = tmp_path / "stack.yaml"
    template.write_text(text)
    findings = lint_file(str(template), settings).findings
    return json.loads(sarif_report(findings, settings.rules, root=str(tmp_path)))


def test_line_shift_keeps_partial_fingerprints(tmp_path, settings):
    """GitHub matches alerts across commits by partialFingerprints: moving lines must not
    change them (or every edit above a finding would close and reopen its alert)."""
    text = EXAMPLE.read_text()
    before = _sarif_of(text, tmp_path, settings)["runs"][0]["results"]
    shifted = "# a comment\n# another\n\n" + text
    after = _sarif_of(shifted, tmp_path, settings)["runs"][0]["results"]
    assert len(before) == len(after) >= 3
    for old, new in zip(before, after, strict=True):
        assert old["partialFingerprints"] == new["partialFingerprints"]
        assert old["ruleId"] == new["ruleId"]
        old_line = old["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert new["locations"][0]["physicalLocation"]["region"]["startLine"] == old_line + 3
    fingerprints = [r["partialFingerprints"]["awslintRules/v1"] for r in before]
    assert len(set(fingerprints)) == len(fingerprints)


def test_two_runs_are_byte_identical(tmp_path):
    outputs = []
    for name in ("first.sarif", "second.sarif"):
        # relative paths from the repository (for relative URIs); --no-config via run_cli
        done = run_cli("check", "--format", "sarif", "--output", str(tmp_path / name),
                       "examples", "fixtures/WA3002", cwd=ROOT)
        assert done.returncode == 1, done.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]
    results = json.loads(outputs[0])["runs"][0]["results"]
    keys = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["ruleId"])
            for r in results]
    assert keys == sorted(keys)  # deterministic order: file, position, rule


def test_every_rule_has_help_and_every_result_a_level(log):
    driver = log["runs"][0]["tool"]["driver"]
    for rule in driver["rules"]:
        assert rule["help"]["text"].strip() and rule["help"]["markdown"].startswith("## ")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert all("level" in result for result in log["runs"][0]["results"])
