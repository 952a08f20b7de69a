"""SARIF: valid against the official 2.1.0 schema and carrying what GitHub code scanning reads."""

from __future__ import annotations

import json

import jsonschema
import pytest

from awslint_rules.engine import lint_file
from awslint_rules.sarif import sarif_report

from .conftest import FIXTURES, ROOT, SARIF_SCHEMA

TEMPLATES = [ROOT / "examples" / "sam-api-and-queue.yaml",
             FIXTURES / "EA0000" / "fail_duplicate_key.yaml",
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
