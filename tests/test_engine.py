"""Engine: rules run in isolation, results are deterministic, intrinsics resolve as documented."""

from __future__ import annotations

import re

import pytest

from awslint_rules.catalog import CatalogError, Rule
from awslint_rules.engine import Settings, lint_bytes
from awslint_rules.intrinsics import UNKNOWN, Ref

from .conftest import SQS_CONSUMER


def _replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# The shared SQS consumer with its VisibilityTimeout from a parameter (default 40 s).
SQS_FED = _replaced(_replaced(
    SQS_CONSUMER, "VisibilityTimeout: 60", "VisibilityTimeout: !Ref Visibility"),
    "Resources:\n", "Parameters:\n  Visibility: {Type: Number, Default: 40}\nResources:\n",
).encode()


def _raising(model, rule):
    raise ZeroDivisionError("boom")
    yield


def test_a_rule_that_raises_becomes_ea0001_and_other_rules_still_report(catalog):
    settings = Settings(catalog)
    settings.checks["WA3003"] = _raising
    findings = lint_bytes("t.yaml", SQS_FED, settings).findings
    internal = [f for f in findings if f.rule == "EA0001"]
    assert len(internal) == 1 and "WA3003" in internal[0].message
    assert "ZeroDivisionError: boom" in internal[0].message
    assert "WA3002" in {f.rule for f in findings}


def test_a_stage_that_raises_is_one_ea0001_naming_the_stage(catalog, monkeypatch):
    """Not one EA0001 per rule that reads the graph (the graph is built once, by the engine)."""
    from awslint_rules import model

    calls = []

    def broken_graph(template):
        calls.append(template)
        raise KeyError("edge")

    monkeypatch.setattr(model, "build_graph", broken_graph)
    findings = lint_bytes("t.yaml", SQS_FED, Settings(catalog)).findings
    assert [(f.rule, f.message) for f in findings] == [
        ("EA0001", "the graph stage failed on this template: KeyError: 'edge'")
    ]
    assert len(calls) == 1


def test_a_failing_sam_expansion_is_one_ea0001_for_every_rule_that_counts(catalog, monkeypatch):
    from awslint_rules import model

    def broken_count(*args):
        raise ValueError("count")

    monkeypatch.setattr(model, "expand_count", broken_count)
    findings = lint_bytes("t.yaml", SQS_FED, Settings(catalog)).findings
    internal = [f.message for f in findings if f.rule == "EA0001"]
    assert internal == ["the SAM expansion stage failed on this template: ValueError: count"]
    assert "WA3002" in {f.rule for f in findings}  # rules that do not count still report


@pytest.mark.parametrize(("doc", "problem"), [
    ({"check": "sqs:no_such_check"}, "check: 'sqs:no_such_check' names no check function"),
    ({"check": "nosuchmodule:f"}, "check: 'nosuchmodule:f' names no check function"),
    ({"match": {"resource_type": "AWS::SQS::Queue", "wher": "$.X"}}, "match.wher"),
    ({"match": {"resource_type": "AWS::SQS::Queue", "where": "$[[["}}, "match.where"),
])
def test_a_broken_rule_stops_the_run_before_linting(catalog, doc, problem):
    broken = Rule("WU0001", "broken", "warning", "", doc, source="rules/WU0001.yaml")
    with pytest.raises(CatalogError, match=re.escape(problem)) as error:
        Settings({**catalog, "WU0001": broken})
    assert str(error.value).startswith("rules/WU0001.yaml: ")


def test_parameter_defaults_and_overrides(catalog):
    default = lint_bytes("t.yaml", SQS_FED, Settings(catalog)).findings
    assert [f.message for f in default if f.rule == "WA3002"] == [
        "Queue 'JobsQueue' VisibilityTimeout 40 s is under 6 × 30 s = 180 s for function 'Worker': "
        "messages can become visible again while a retry is still running and be processed twice"
    ]
    overridden = lint_bytes("t.yaml", SQS_FED, Settings(catalog, {"Visibility": "180"})).findings
    assert not [f for f in overridden if f.rule in ("WA3002", "EA3001")]
    too_low = lint_bytes("t.yaml", SQS_FED, Settings(catalog, {"Visibility": "10"})).findings
    assert [f.rule for f in too_low if f.rule in ("WA3002", "EA3001")] == ["EA3001"]


def test_unknown_values_never_produce_findings(catalog):
    raw = SQS_FED.replace(b"Default: 40", b"MinValue: 1")
    assert raw != SQS_FED
    findings = lint_bytes("t.yaml", raw, Settings(catalog)).findings
    assert not [f for f in findings if f.rule in ("WA3002", "EA3001")]


def test_findings_are_sorted_and_deterministic(settings):
    first = lint_bytes("t.yaml", SQS_FED, settings).findings
    second = lint_bytes("t.yaml", SQS_FED, settings).findings
    assert first == second
    assert first == sorted(first, key=lambda f: f.sort_key)


def test_fingerprints_survive_lines_moving(settings):
    moved = SQS_FED.replace(b"Resources:\n", b"Resources:\n  Extra:\n    Type: AWS::SNS::Topic\n")
    before = {f.rule: f.fingerprint for f in lint_bytes("t.yaml", SQS_FED, settings).findings}
    after = {f.rule: f.fingerprint for f in lint_bytes("t.yaml", moved, settings).findings}
    assert before["WA3002"] == after["WA3002"]


def test_resolver_understands_arns_and_integration_uris(settings):
    from awslint_rules.load import load_document
    from awslint_rules.template import Template

    template = Template(load_document("t.yaml", SQS_FED))
    resolve = template.resolver.one
    uri = {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
                      "functions/${Worker.Arn}/invocations"}
    assert resolve(uri) == Ref("Worker", "Arn")
    alias = "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Worker}:live"
    assert resolve({"Fn::Sub": alias}) == Ref("Worker", None, "live")
    joined = ["arn:aws:lambda:us-east-1:1:function:", {"Ref": "Worker"}]
    assert resolve({"Fn::Join": ["", joined]}) == Ref("Worker")
    assert resolve({"Fn::Sub": "${AWS::StackName}-jobs"}) is UNKNOWN
    assert resolve({"Fn::Sub": ["${A}-${B}", {"A": "x", "B": 2}]}) == "x-2"
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    branches = template.resolver.resolve({"Fn::If": ["C", 1, {"Fn::If": ["D", 2, 3]}]})
    assert [(b.value, b.conditions) for b in branches] == [
        (1, (("C", True),)), (2, (("C", False), ("D", True))), (3, (("C", False), ("D", False)))
    ]


def test_duplicate_key_fingerprints_survive_lines_moving_and_tell_repetitions_apart(settings):
    text = b"AWSTemplateFormatVersion: x\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n" \
           b"    Properties: {DelaySeconds: 1, DelaySeconds: 2, DelaySeconds: 3}\n"
    moved = text.replace(b"Resources:\n", b"Resources:\n  T:\n    Type: AWS::SNS::Topic\n")
    before = [f.fingerprint for f in lint_bytes("t.yaml", text, settings).findings
              if f.rule == "EA0004"]
    after = [f.fingerprint for f in lint_bytes("t.yaml", moved, settings).findings
             if f.rule == "EA0004"]
    assert len(set(before)) == 2 and before == after
