"""The per-template model: layers, edges with their conditions, SAM facts in one place, options."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from awslint_rules.catalog import CatalogError, load_catalog, rule_text
from awslint_rules.engine import Settings, lint_bytes
from awslint_rules.graph import (
    DEAD_LETTERS,
    INVOKES,
    PERMITS,
    READS,
    SUBSCRIBES,
    TARGETS,
    build_graph,
)
from awslint_rules.intrinsics import decide_conditions
from awslint_rules.load import load_document
from awslint_rules.template import Template

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "awslint_rules"


def _imports(module: Path) -> set[str]:
    """Every module `module` imports, also inside functions and under TYPE_CHECKING."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(("module", "forbidden"), [
    ("load.py", {".template", ".graph", ".checks", ".engine"}),
    ("template.py", {".graph", ".sam_expansion", ".model", ".checks", ".engine"}),
    ("graph.py", {".checks", ".engine", ".report", ".sarif"}),
    ("catalog.py", {".checks", ".engine", ".template", ".graph"}),
])
def test_layers(module, forbidden):
    """DESIGN.md "Layers": each stage knows only the stages below it."""
    assert _imports(PACKAGE / module) & forbidden == set()


def test_checks_never_import_output_the_cli_or_the_engine():
    for module in (PACKAGE / "checks").glob("*.py"):
        imported = {name.lstrip(".") for name in _imports(module)}
        assert imported & {"report", "sarif", "cli", "engine"} == set(), module.name


def _template(text: str, **parameters: str) -> Template:
    return Template(load_document("t.yaml", text.encode()), parameters)


def _edges(text: str, kind: str) -> list:
    return [e for e in build_graph(_template(text)).edges if e.kind == kind]


RULE_WITH_TARGETS = """\
AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  UseQueue: !Equals [!Ref AWS::Region, us-east-1]
  IsProd: !Equals [!Ref AWS::AccountId, "123456789012"]
Resources:
  Q: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: r, Code: {ZipFile: x}}
  Rule:
    Type: AWS::Events::Rule
    Condition: IsProd
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets: !If
        - UseQueue
        - [{Id: q, Arn: !GetAtt Q.Arn}]
        - [{Id: t, Arn: !Ref Topic}, {Id: f, Arn: !GetAtt Fn.Arn}]
"""


def test_targets_of_every_kind_under_if_carry_their_conditions():
    targets = _edges(RULE_WITH_TARGETS, TARGETS)
    assert [(e.target, e.conditions, e.scheduled) for e in targets] == [
        ("Q", (("IsProd", True), ("UseQueue", True)), True),
        ("Topic", (("IsProd", True), ("UseQueue", False)), True),
        ("Fn", (("IsProd", True), ("UseQueue", False)), True),
    ]
    assert targets[0].path == ("Resources", "Rule", "Properties", "Targets", "Fn::If", 1, 0)
    [invoke] = _edges(RULE_WITH_TARGETS, INVOKES)
    assert (invoke.target, invoke.origin, invoke.mode) == ("Fn", "events", "async")


def test_each_edge_field_means_one_thing():
    text = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Dlq: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs-dlq}}
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:1:jobs-dlq
        maxReceiveCount: 3
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: .
      Events:
        Note: {Type: SNS, Properties: {Topic: !Ref Topic}}
"""
    graph = build_graph(_template(text))
    [subscription] = graph.out_of("Topic", SUBSCRIBES)
    assert (subscription.protocol, subscription.sam_event, subscription.origin) == (
        "lambda", "SNS", None)
    [permission] = [e for e in graph.edges if e.kind == PERMITS]
    assert (permission.principal, permission.target) == ("sns.amazonaws.com", "Fn")
    [redrive] = graph.into("Dlq", DEAD_LETTERS)  # found by the name at the end of the ARN
    assert (redrive.source, redrive.role) == ("Jobs", "queue-redrive")
    [invoke] = graph.into("Fn", INVOKES)
    assert (invoke.origin, invoke.mode, invoke.source) == ("sns", "async", "Topic")


def test_arns_render_with_pseudo_parameters_kept_symbolic():
    t = _template("Parameters:\n  Env: {Type: String, Default: dev}\n"
                  "Resources:\n  Q: {Type: AWS::SQS::Queue}\n")
    text = t.resolver.text
    assert text({"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:1:${Env}-jobs"}) == (
        "arn:{AWS.Partition}:sqs:{AWS.Region}:1:dev-jobs")
    assert text({"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "sqs", "x"]]}) == (
        "arn:{AWS.Partition}:sqs:x")
    assert text({"Fn::GetAtt": ["Q", "Arn"]}) is None  # a reference, not text
    assert text({"Fn::Sub": "${Unknown}-jobs"}) is None


@pytest.mark.parametrize(("conditions", "fixed", "decided"), [
    ({"Never": {"Fn::Equals": [False, True]}}, {}, {"Never": False}),
    ({"Always": {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}}, {}, {"Always": True}),
    ({"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}, {}, {}),  # a Default never decides
    ({"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}, {"Stage": "prod"}, {"IsProd": True}),
    ({"A": {"Fn::Or": [{"Condition": "B"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "x"]}]},
      "B": {"Fn::Equals": [1, 1]}}, {}, {"A": True, "B": True}),
    ({"Loop": {"Condition": "Loop"}}, {}, {}),
])
def test_conditions_decided_by_literals_and_given_values(conditions, fixed, decided):
    assert decide_conditions(conditions, fixed) == decided


def test_a_resource_that_is_never_created_has_no_findings_and_others_name_their_condition(
        settings):
    text = b"""\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String, Default: prod}
Conditions:
  Never: !Equals [false, true]
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Ghost: {Type: AWS::SQS::Queue, Condition: Never}
  Real: {Type: AWS::SQS::Queue, Condition: IsProd}
"""
    findings = [f for f in lint_bytes("t.yaml", text, settings).findings if f.rule == "IA3004"]
    assert [(f.resource, f.message.endswith("(when condition IsProd is true)")) for f in findings
            ] == [("Real", True)]
    given = Settings(settings.rules, {"Stage": "dev"})  # IsProd is false: Real is never created
    assert [f for f in lint_bytes("t.yaml", text, given).findings if f.rule == "IA3004"] == []


def test_globals_merge_follows_sam_list_semantics():
    text = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Layers: [arn:aws:lambda:us-east-1:1:layer:a:1]
    Environment: {Variables: {A: "1"}}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Layers: [arn:aws:lambda:us-east-1:1:layer:b:1]
      Environment: {Variables: {B: "2"}}
"""
    t = _template(text)
    fn = t.resources["Fn"]
    layers = t.prop(fn, "Layers")
    assert [layer.split(":")[-2] for layer in layers.raw] == ["a", "b"]
    assert layers.path == ("Resources", "Fn", "Properties", "Layers")
    assert t.prop(fn, "Environment", "Variables", "A").path[:2] == ("Globals", "Function")
    assert t.merged_properties(fn)["Environment"] == {"Variables": {"A": "1", "B": "2"}}


SQS_FEED = b"""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 20}}
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: r, Code: {ZipFile: x}, Timeout: 30}
  Feed:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Jobs.Arn
      FunctionName: !Ref Worker
      MaximumBatchingWindowInSeconds: 5
"""


def test_ea3001_names_the_value_that_fixes_ea3001_and_wa3002_at_once(settings):
    [finding] = [f for f in lint_bytes("t.yaml", SQS_FEED, settings).findings
                 if f.rule == "EA3001"]
    assert finding.message.endswith(
        "set it to at least 185 s (6 × 30 s + 5 s batching window, as AWS advises)")
    fixed = SQS_FEED.replace(b"VisibilityTimeout: 20", b"VisibilityTimeout: 185")
    rules = {f.rule for f in lint_bytes("t.yaml", fixed, settings).findings}
    assert not rules & {"EA3001", "WA3002"}


SCHEDULED = b"""\
Transform: AWS::Serverless-2016-10-31
Resources:
  Nightly:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: .
      Events:
        Cron: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
        Pattern: {Type: EventBridgeRule, Properties: {Pattern: {source: [x]}}}
"""


def test_include_schedules_false_leaves_schedules_out_of_wa1001_and_wa5001(catalog):
    def fired(options: dict) -> list[tuple[str, str]]:
        rules = dict(catalog)
        for rule_id in ("WA1001", "WA5001"):
            rules[rule_id] = replace(rules[rule_id],
                                     options={**rules[rule_id].options, **options})
        return sorted((f.rule, f.message.split(" ")[0]) for f in
                      lint_bytes("t.yaml", SCHEDULED, Settings(rules)).findings
                      if f.rule in ("WA1001", "WA5001"))

    every = fired({})
    assert every == [("WA1001", "Function"), ("WA5001", "EventBridgeRule"), ("WA5001", "Schedule")]
    assert fired({"include_schedules": False}) == [("WA1001", "Function"),
                                                   ("WA5001", "EventBridgeRule")]
    only_schedule = SCHEDULED.replace(
        b"        Pattern: {Type: EventBridgeRule, Properties: {Pattern: {source: [x]}}}\n", b"")
    rules = dict(catalog)
    rules["WA1001"] = replace(rules["WA1001"], options={"include_schedules": False})
    findings = lint_bytes("t.yaml", only_schedule, Settings(rules)).findings
    assert "WA1001" not in {f.rule for f in findings}


def test_rule_defaults_come_from_the_one_table_and_are_checked_at_load(tmp_path):
    explained = rule_text(load_catalog()["WA3002"])
    assert "AWS::SQS::Queue.VisibilityTimeout: 30" in explained
    (tmp_path / "WU0001.yaml").write_text(
        "id: WU0001\nname: x\nsummary: x\nmatch: {resource_type: AWS::SQS::Queue}\n"
        "defaults: [AWS::SQS::Queue.NoSuchProperty]\n")
    with pytest.raises(CatalogError, match="NoSuchProperty not in the AWS defaults table"):
        load_catalog([str(tmp_path)])


def test_pipes_buses_and_ses_receipt_rules_are_edges():
    text = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  PipeDlq: {Type: AWS::SQS::Queue}
  BusDlq: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: r, Code: {ZipFile: x}}
  Pipe:
    Type: AWS::Pipes::Pipe
    Properties:
      RoleArn: r
      Source: !GetAtt Stream.Arn
      SourceParameters:
        KinesisStreamParameters:
          StartingPosition: LATEST
          DeadLetterConfig: {Arn: !GetAtt PipeDlq.Arn}
      Target: !GetAtt Fn.Arn
      TargetParameters: {LambdaFunctionParameters: {InvocationType: FIRE_AND_FORGET}}
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders, DeadLetterConfig: {Arn: !GetAtt BusDlq.Arn}}
  Mail:
    Type: AWS::SES::ReceiptRule
    Properties:
      RuleSetName: inbound
      Rule:
        Enabled: true
        Actions: [{LambdaAction: {FunctionArn: !GetAtt Fn.Arn}}]
"""
    graph = build_graph(_template(text))
    assert [(e.target, e.origin) for e in graph.out_of("Pipe", READS)] == [("Stream", "kinesis")]
    assert [(e.target, e.role) for e in graph.of_kind(DEAD_LETTERS)] == [
        ("PipeDlq", "pipe-dlq"), ("BusDlq", "bus-dlq")]
    assert sorted((e.origin, e.mode) for e in graph.into("Fn", INVOKES)) == [
        ("pipes", "async"), ("ses", "async")]
    assert [e.target for e in graph.of_kind(TARGETS)] == ["Fn"]


GLOBALS_UNDER_IF = b"""\
Transform: AWS::Serverless-2016-10-31
Conditions:
  Open: !Equals [!Ref AWS::AccountId, '1']
Globals:
  Function:
    FunctionUrlConfig: {AuthType: NONE}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: .
      FunctionUrlConfig: !If [Open, {AuthType: AWS_IAM}, !Ref AWS::NoValue]
"""


def test_an_intrinsic_block_replaces_its_globals_it_is_not_merged_into():
    """SAM merges Globals map by map, but an `!If` is a value: the resource's replaces them."""
    from awslint_rules import sam

    t = Template(load_document("t.yaml", GLOBALS_UNDER_IF))
    function = t.resources["Fn"]
    assert t.prop(function, "FunctionUrlConfig", "AuthType") is None
    assert "Fn::If" in t.merged_properties(function)["FunctionUrlConfig"]
    assert sam.merge({"A": {"B": 1}}, {"A": {"Ref": "P"}}) == {"A": {"Ref": "P"}}
    assert sam.merge({"A": {"Fn::If": ["C", 1, 2]}}, {"A": {"B": 1}}) == {"A": {"B": 1}}
