"""Poll wiring: the queue or stream a mapping (or a SAM event) reads, and its on-failure
destination, written with `Fn::If` become one edge per branch, under that branch's condition; a
mapping may name its function by name; a SAM SNS event subscribes each topic of `Topic: !If`."""

from __future__ import annotations

from awslint_rules.graph import DEAD_LETTERS, INVOKES, PERMITS, SUBSCRIBES, build_graph
from awslint_rules.load import load_document
from awslint_rules.template import Template

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Conditions:
  High: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  A: {Type: AWS::SQS::Queue}
  B: {Type: AWS::SQS::Queue}
  Failures: {Type: AWS::SQS::Queue}
  Stream: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: .
      Events:
        Work:
          Type: SQS
          Properties: {Queue: !If [High, !GetAtt A.Arn, !GetAtt B.Arn]}
        Records:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Stream.Arn
            StartingPosition: LATEST
            DestinationConfig: !If
              - High
              - OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
              - !Ref AWS::NoValue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: !If [High, !GetAtt B.Arn, !GetAtt Stream.Arn]
      StartingPosition: LATEST
      DestinationConfig:
        OnFailure: {Destination: !If [High, !Ref AWS::NoValue, !GetAtt Failures.Arn]}
"""


def _graph():
    return build_graph(Template(load_document("t.yaml", TEMPLATE.encode()), {}))


def test_each_branch_of_a_polled_source_is_an_edge_under_its_condition():
    polled = sorted((e.owner, e.source, e.origin, e.conditions)
                    for e in _graph().of_kind(INVOKES) if e.mode == "poll")
    assert polled == [
        ("Fn", "A", "sqs", (("High", True),)),
        ("Fn", "B", "sqs", (("High", False),)),
        ("Fn", "Stream", "kinesis", ()),
        ("Mapping", "B", "sqs", (("High", True),)),
        ("Mapping", "Stream", "kinesis", (("High", False),)),
    ]


def test_on_failure_destinations_under_if_are_dead_letter_edges():
    edges = sorted((e.owner, e.target, e.conditions) for e in _graph().of_kind(DEAD_LETTERS))
    assert edges == [("Fn", "Failures", (("High", True),)),
                     ("Mapping", "Failures", (("High", False),))]


def test_a_mapping_names_its_function_by_name_or_name_and_alias():
    graph = build_graph(Template(load_document("t.yaml", b"""\
Resources:
  Q: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: worker, Runtime: python3.12, Handler: a.b, Role: r, Code: {}}
  ByName:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: worker, EventSourceArn: !GetAtt Q.Arn}
  ByAlias:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: "worker:live", EventSourceArn: !GetAtt Q.Arn}
  Elsewhere:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: other, EventSourceArn: !GetAtt Q.Arn}
"""), {}))
    polled = sorted((e.owner, e.target, e.qualifier) for e in graph.of_kind(INVOKES))
    assert polled == [("ByAlias", "Fn", "live"), ("ByName", "Fn", None), ("Elsewhere", None, None)]


def test_a_sam_sns_event_subscribes_each_topic_of_an_if():
    graph = build_graph(Template(load_document("t.yaml", b"""\
Transform: AWS::Serverless-2016-10-31
Conditions:
  P: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  A: {Type: AWS::SNS::Topic}
  B: {Type: AWS::SNS::Topic}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: .
      Events:
        Notes: {Type: SNS, Properties: {Topic: !If [P, !Ref A, !Ref B]}}
"""), {}))
    subscribed = sorted((e.source, e.target, e.conditions) for e in graph.of_kind(SUBSCRIBES))
    permitted = sorted((e.source, e.conditions) for e in graph.of_kind(PERMITS))
    assert subscribed == [("A", "Fn", (("P", True),)), ("B", "Fn", (("P", False),))]
    assert permitted == [("A", (("P", True),)), ("B", (("P", False),))]
