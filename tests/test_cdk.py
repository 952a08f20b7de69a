"""The project's own CDK app (tests/cdk/app), synthesized into tests/cdk/cdk.out: every intended
finding is reported, and nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT, invoke

CDK = ROOT / "tests" / "cdk"
ASSEMBLY = CDK / "cdk.out"

# The findings suppressed from CDK code, and how (tests/cdk/app/bin/app.js).
SUPPRESSED = {
    ("Orders", "IA3004", "ReportsQueue3E7B859E"): ".addMetadata('awslint-rules', {",
    ("Orders", "IA3004", "AuditQueue1D3C234B"): ".addOverride('Metadata.awslint-rules', {",
    ("Archive", "IA3004", "ColdQueueAB69A5D1"): "this.templateOptions.metadata = {",
    ("Archive", "IA3004", "FrozenQueue619734C2"): "this.templateOptions.metadata = {",
}
# (stack template, rule, resource) of every finding the app is written to produce; the comments
# in tests/cdk/app/bin/app.js name them at the construct that causes them.
INTENDED = {
    ("Orders", "EA3001", "OrdersQueue3DFA1D51"),  # 120 s consumer through alias.addEventSource
    ("Orders", "WA3003", "OrdersQueue3DFA1D51"),
    ("Orders", "WA3002", "ShippingQueue710A7713"),
    ("Notifications", "WA1001", "Pager3330101C"),
    ("Notifications", "WA4001", "PagerAlertsTopicF4830FF3"),
    ("Notifications", "WA4001", "AlertArchiveNotificationsAlertsTopic19A53BAA70817482"),
    ("Schedules", "WA5001", "NightlyRuleFC948245"),
    ("Schedules", "WA1001", "NightlyReportFE59B3CD"),
    ("Streams", "WA6001", "ClickCounterKinesisEventSourceStreamsClickStreamA17BB072603C4D05"),
    ("Streams", "WA6002", "ClickCounterKinesisEventSourceStreamsClickStreamA17BB072603C4D05"),
    ("RestApi", "WA2001", "StoreHandler338338BD"),
    ("RestApi", "IA2005", "StoreApiDeploymentStageprod2EE22018"),
    ("RestApi", "WA1004", "Maintenance3AE505C2"),
    ("HttpApi", "WA2001", "SearchHandler00CE2B50"),
    ("HttpApi", "IA1002", "ProfileHandler493DBCF6"),
    ("HttpApi", "WA1009", "WebhookFunctionUrl0EF34D45"),
    ("Uploads", "WA1001", "Thumbnailer5F8B738E"),  # bucket.addEventNotification
    ("Platform", "EA3001", "JobsQueue86ED6666"),  # consumed in the nested stack
    ("Platform", "WA3003", "JobsQueue86ED6666"),
    ("Shared", "EA3001", "InvoicesQueue9AE6B222"),  # consumed by Billing through Fn::ImportValue
    ("Shared", "WA3003", "InvoicesQueue9AE6B222"),
    ("Catalog", "WA0011", None),  # 456 resources
    ("PipelineQueues1DFE6B40", "EA3001", "EventsQueueB96EB0D2"),  # in a sibling nested stack
    ("PipelineQueues1DFE6B40", "WA3003", "EventsQueueB96EB0D2"),
    ("PipelineQueues1DFE6B40", "EA3001", "AuditQueue1D3C234B"),  # in the parent (Outputs.X)
    ("PipelineQueues1DFE6B40", "WA3003", "AuditQueue1D3C234B"),
    ("StagingStreams13CA000A", "WA6001",  # a stage (assembly-Staging/)
     "ClickCounterKinesisEventSourceStagingStreamsClickStream8C523E79069D6E02"),
    ("StagingStreams13CA000A", "WA6002",
     "ClickCounterKinesisEventSourceStagingStreamsClickStream8C523E79069D6E02"),
}


def _stack(file: str) -> str:
    return Path(file).name.split(".")[0]


@pytest.fixture(scope="module")
def findings() -> list[dict]:
    result = invoke("--format", "json", str(ASSEMBLY))
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def found(findings) -> set[tuple[str, str, str | None]]:
    return {(_stack(f["file"]), f["rule"], f["resource"]) for f in findings}


@pytest.mark.parametrize("item", [pytest.param(i, id="-".join(map(str, i)))
                                  for i in sorted(INTENDED, key=str)])
def test_intended_finding_is_reported(found, item):
    assert item in found


def test_nothing_unintended_is_reported(found):
    """For the rules the app exercises; the rules written later (IA2006, IA3008, IA3010, WA9001
    also report on it, rightly: CDK sets no stage throttling, partial batch responses, DLQ alarms
    or point-in-time recovery by default) are tested by their own fixtures."""
    exercised = {rule for _, rule, _ in INTENDED}
    assert {f for f in found if f[1] in exercised} - INTENDED == set()


def test_the_assembly_is_committed_without_asset_bundles():
    names = sorted(str(p.relative_to(ASSEMBLY)) for p in ASSEMBLY.rglob("*") if p.is_file())
    assert "manifest.json" in names and "assembly-Staging/manifest.json" in names
    assert all(n.endswith(("manifest.json", ".template.json")) for n in names)
    manifest = json.loads((ASSEMBLY / "manifest.json").read_text())
    stacks = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert len(stacks) >= 8
    assert all((ASSEMBLY / s["properties"]["templateFile"]).is_file() for s in stacks)


def test_node_modules_stay_out_of_git():
    ignored = (CDK / "app" / ".gitignore").read_text().split()
    assert "node_modules/" in ignored


def _readme_cdk_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## CDK apps\n")
    return text[start : text.index("\n## ", start + 1)]


def test_suppressions_written_in_cdk_code_apply():
    result = invoke("--format", "json", "--show-suppressed", str(ASSEMBLY))
    findings = json.loads(result.stdout)
    suppressed = {(_stack(f["file"]), f["rule"], f["resource"]) for f in findings
                  if "suppression" in f}
    assert suppressed == set(SUPPRESSED)
    assert not {f["rule"] for f in findings} & {"IA0002", "WA0003"}  # all used, all reasoned


def test_the_readme_shows_the_calls_the_app_makes():
    section = _readme_cdk_section()
    app = (CDK / "app" / "bin" / "app.js").read_text(encoding="utf-8")
    for call in set(SUPPRESSED.values()):
        assert call in section
        assert call in app


def test_the_readme_ci_step_lints_the_assembly(findings):
    command = re.search(r"run: (awslint-rules cdk\.out\b.*)", _readme_cdk_section())
    assert command is not None
    arguments = [str(ASSEMBLY) if word == "cdk.out" else word
                 for word in command.group(1).split()[1:]]
    result = invoke(*arguments)
    assert result.exit_code == 1
    annotations = result.stdout.splitlines()
    assert len(annotations) == len(findings)  # one annotation per finding of the JSON report
    assert any(line.startswith("::error file=") and "EA3001" in line for line in annotations)
