"""Who may reach what: Lambda permissions and queue and topic policies as graph edges (with the
source a `SourceArn` limits them to), stream consumers, and the consumer limit option."""

from __future__ import annotations

from dataclasses import replace

from awslint_rules.engine import Settings, lint_bytes
from awslint_rules.graph import ANY_PRINCIPAL, CONTAINS, PERMITS, UNKNOWN_PRINCIPAL, build_graph
from awslint_rules.load import load_document
from awslint_rules.template import Template


def _graph(text: str):
    return build_graph(Template(load_document("t.yaml", text.encode()), {}))


FUNCTION = """\
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: r, Code: {ZipFile: x}}
"""


def test_permissions_that_cannot_be_told_are_edges_without_a_target_or_principal():
    graph = _graph(f"""\
Parameters:
  Target: {{Type: String}}
  Who: {{Type: String}}
Resources:
{FUNCTION}  Unknown:
    Type: AWS::Lambda::Permission
    Properties:
      {{Action: lambda:InvokeFunction, FunctionName: !Ref Target, Principal: sns.amazonaws.com}}
  Elsewhere:
    Type: AWS::Lambda::Permission
    Properties:
      {{Action: lambda:InvokeFunction, FunctionName: other, Principal: sns.amazonaws.com}}
  AnyService:
    Type: AWS::Lambda::Permission
    Properties: {{Action: lambda:InvokeFunction, FunctionName: !Ref Fn, Principal: !Ref Who}}
""")
    edges = sorted((e.owner, e.target, e.principal) for e in graph.of_kind(PERMITS))
    assert {e.source for e in graph.of_kind(PERMITS)} == {None}
    # a literal name of a function outside the template grants nothing here
    assert edges == [("AnyService", "Fn", UNKNOWN_PRINCIPAL),
                     ("Unknown", None, "sns.amazonaws.com")]


def test_queue_policies_inline_policies_and_star_principals():
    graph = _graph("""\
Resources:
  Q1: {Type: AWS::SQS::Queue}
  Q2: {Type: AWS::SQS::Queue}
  Listed:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Q1]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: [sns.amazonaws.com, events.amazonaws.com]}
            Action: sqs:SendMessage
          - {Effect: Deny, Principal: {Service: s3.amazonaws.com}, Action: sqs:SendMessage}
  Inline:
    Type: AWS::SQS::QueueInlinePolicy
    Properties:
      Queue: !Ref Q2
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: "*"}, Action: sqs:SendMessage, Resource: "*"}
""")
    assert sorted((e.target, e.principal) for e in graph.of_kind(PERMITS)) == [
        ("Q1", "events.amazonaws.com"), ("Q1", "sns.amazonaws.com"), ("Q2", ANY_PRINCIPAL)]


def test_stream_consumers_are_contained_in_their_stream():
    graph = _graph("""\
Resources:
  S: {Type: AWS::Kinesis::Stream, Properties: {Name: clicks, ShardCount: 1}}
  ByArn:
    Type: AWS::Kinesis::StreamConsumer
    Properties: {ConsumerName: a, StreamARN: !GetAtt S.Arn}
  ByName:
    Type: AWS::Kinesis::StreamConsumer
    Properties:
      ConsumerName: b
      StreamARN: !Sub arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/clicks
""")
    assert sorted((e.source, e.target) for e in graph.of_kind(CONTAINS)) == [
        ("S", "ByArn"), ("S", "ByName")]


def test_the_consumer_limit_follows_the_option(catalog):
    consumers = "".join(
        f"  C{i}:\n    Type: AWS::Kinesis::StreamConsumer\n"
        f"    Properties: {{ConsumerName: c{i}, StreamARN: !GetAtt S.Arn}}\n" for i in range(3))
    stream = "  S: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}\n"
    text = f"Resources:\n{stream}{consumers}"
    rules = dict(catalog)
    default = lint_bytes("t.yaml", text.encode(), Settings(rules))
    rules["EA6005"] = replace(rules["EA6005"], options={"max_consumers": 2})
    strict = lint_bytes("t.yaml", text.encode(), Settings(rules))
    assert [f for f in default.findings if f.rule == "EA6005"] == []
    [finding] = [f for f in strict.findings if f.rule == "EA6005"]
    assert "3 enhanced fan-out consumers" in finding.message and finding.resource == "C2"


def test_policy_statements_that_cannot_be_read_may_allow_anyone():
    graph = _graph("""\
Conditions:
  Open: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Q1: {Type: AWS::SQS::Queue}
  Q2: {Type: AWS::SQS::Queue}
  Q3: {Type: AWS::SQS::Queue}
  Conditional:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Q1]
      PolicyDocument:
        Statement:
          - !If [Open, {Effect: Allow, Principal: "*", Action: "sqs:*"}, !Ref AWS::NoValue]
  Json:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Q2]
      PolicyDocument: >-
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}]}
  Computed:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Q3]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: !Sub "events.${AWS::URLSuffix}"}}
""")
    assert sorted((e.target, e.principal) for e in graph.of_kind(PERMITS)) == [
        ("Q1", UNKNOWN_PRINCIPAL), ("Q2", "sns.amazonaws.com"), ("Q3", UNKNOWN_PRINCIPAL)]


def test_a_permission_is_limited_to_the_source_its_source_arn_names():
    graph = _graph(f"""\
Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Topic: {{Type: AWS::SNS::Topic}}
  ByTopic:
    Type: AWS::Lambda::Permission
    Properties:
      {{Action: lambda:InvokeFunction, FunctionName: !Ref Fn, Principal: sns.amazonaws.com,
       SourceArn: !Ref Topic}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: .
      Events:
        Note: {{Type: SNS, Properties: {{Topic: !Ref Topic}}}}
        Nightly: {{Type: Schedule, Properties: {{Schedule: rate(1 day)}}}}
""")
    assert sorted((e.owner, e.source, e.principal) for e in graph.of_kind(PERMITS)) == [
        ("ByTopic", "Topic", "sns.amazonaws.com"),
        ("Worker", "Topic", "sns.amazonaws.com"),
        ("Worker", "WorkerNightly", "events.amazonaws.com"),  # the rule SAM creates
    ]


def test_a_queue_policy_limited_by_source_arn_permits_from_those_sources_only():
    graph = _graph("""\
Resources:
  Q: {Type: AWS::SQS::Queue}
  T: {Type: AWS::SNS::Topic}
  R: {Type: AWS::Events::Rule, Properties: {ScheduleExpression: rate(1 hour)}}
  Policy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Q]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: sqs:SendMessage
            Condition: {ArnEquals: {aws:SourceArn: !Ref T}}
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Condition: {ArnEqualsIfExists: {"AWS:SourceArn": [!GetAtt R.Arn, !GetAtt T.Arn]}}
          - Effect: Allow
            Principal: {Service: s3.amazonaws.com}
            Action: sqs:SendMessage
            Condition: {ArnLike: {aws:SourceArn: "arn:aws:s3:::uploads-*"}}
""")
    edges = sorted((e.principal, e.source or "") for e in graph.of_kind(PERMITS))
    assert edges == [("events.amazonaws.com", "R"), ("events.amazonaws.com", "T"),
                     ("s3.amazonaws.com", ""), ("sns.amazonaws.com", "T")]
