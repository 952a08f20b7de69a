"""CDK construct paths (`aws:cdk:path`) in messages, the text and JSON reports and SARIF."""

from __future__ import annotations

import json

import jsonschema
import pytest

from awslint_rules.assembly import construct_path, with_construct_paths
from awslint_rules.sarif import sarif_report

from .conftest import EXAMPLE, SARIF_SCHEMA, invoke
from .test_cdk import ASSEMBLY

ORDERS = str(ASSEMBLY / "Orders.template.json")


def test_construct_path_without_the_default_child():
    data = {"Resources": {
        "QueueA1": {"Metadata": {"aws:cdk:path": "Orders/OrdersQueue/Resource"}},
        "MetaB2": {"Metadata": {"aws:cdk:path": "Orders/CDKMetadata/Default"}},
        "Fn": {"Metadata": {"aws:cdk:path": "Orders/Live/SqsEventSource:Orders"}},
        "Plain": {"Type": "AWS::SQS::Queue"},
        "Odd": {"Metadata": ["aws:cdk:path"]},
    }}
    assert [construct_path(data, i) for i in ("QueueA1", "MetaB2", "Fn", "Plain", "Odd", None,
                                              "Missing")] == [
        "Orders/OrdersQueue", "Orders/CDKMetadata", "Orders/Live/SqsEventSource:Orders",
        None, None, None, None]
    assert with_construct_paths("Queue 'QueueA1' feeds 'Plain'", data) == (
        "Queue 'QueueA1' (construct Orders/OrdersQueue) feeds 'Plain'")


def test_text_report_names_each_construct():
    first = invoke("--select", "WA3003", ORDERS).stdout.splitlines()[0]
    assert first.startswith(
        f"{ORDERS}:3:3: warning WA3003 Queue 'OrdersQueue3DFA1D51' (construct Orders/OrdersQueue)"
        " is consumed by function 'OrderProcessor53D1FCB8' (construct Orders/OrderProcessor) but"
        " has no RedrivePolicy")
    concise = invoke("--select", "EA3001", "--format", "concise", ORDERS).stdout
    assert "Queue 'OrdersQueue3DFA1D51' (construct Orders/OrdersQueue) VisibilityTimeout" in concise


def test_json_carries_the_construct(tmp_path):
    findings = json.loads(invoke("--format", "json", ORDERS).stdout)
    assert {(f["resource"], f["construct"]) for f in findings} >= {
        ("OrdersQueue3DFA1D51", "Orders/OrdersQueue"),
        ("ShippingQueue710A7713", "Orders/ShippingQueue")}
    plain = json.loads(invoke("--format", "json", str(EXAMPLE)).stdout)
    assert plain and all(f["construct"] is None for f in plain)
    assert all("(construct " not in f["message"] for f in plain)


def test_sarif_logical_locations_name_the_construct(settings):
    log = json.loads(invoke("--format", "sarif", ORDERS, str(EXAMPLE)).stdout)
    results = log["runs"][0]["results"]
    cdk = [r for r in results if "cdk.out" in r["locations"][0]["physicalLocation"]
           ["artifactLocation"]["uri"]]
    assert cdk and all(r["locations"][0]["logicalLocations"][0]["kind"] == "resource"
                       for r in cdk)
    assert {(r["locations"][0]["logicalLocations"][0]["name"],
             r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in cdk} >= {
        ("OrdersQueue3DFA1D51", "Orders/OrdersQueue")}
    assert all("logicalLocations" not in r["locations"][0] for r in results if r not in cdk)
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA} (../shared is absent)")
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))


def test_sarif_report_without_constructs_is_unchanged(settings):
    assert "logicalLocations" not in sarif_report([], settings.rules)
