"""`Fn::Select`/`Fn::Split` over the ARNs of resources of the template (what CDK writes)."""

from __future__ import annotations

import pytest

from awslint_rules.graph import INVOKES, build_graph
from awslint_rules.intrinsics import UNKNOWN, Ref
from awslint_rules.load import load_document
from awslint_rules.template import Template

RESOURCES = """\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Timeout: 120}
  Version:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Fn}
  Live:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, FunctionVersion: !GetAtt Version.Version, Name: live}
  Queue:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
  Stream:
    Type: AWS::Kinesis::Stream
  Table:
    Type: AWS::DynamoDB::Table
"""


def _template(extra: str = "") -> Template:
    return Template(load_document("t.yaml", (RESOURCES + extra).encode()))


@pytest.mark.parametrize(("raw", "expected"), [
    ({"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Live"}]}]}, Ref("Fn")),
    ({"Fn::Select": [7, {"Fn::Split": [":", {"Ref": "Live"}]}]}, "live"),
    ({"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Version"}]}]}, Ref("Fn")),
    ({"Fn::Select": [7, {"Fn::Split": [":", {"Ref": "Version"}]}]}, UNKNOWN),
    ({"Fn::Select": [6, {"Fn::Split": [":", {"Fn::GetAtt": ["Fn", "Arn"]}]}]}, Ref("Fn")),
    ({"Fn::Select": [2, {"Fn::Split": [":", {"Fn::GetAtt": ["Fn", "Arn"]}]}]}, "lambda"),
    ({"Fn::Select": [3, {"Fn::Split": [":", {"Fn::GetAtt": ["Fn", "Arn"]}]}]}, UNKNOWN),
    ({"Fn::Select": [5, {"Fn::Split": [":", {"Fn::GetAtt": ["Queue", "Arn"]}]}]},
     Ref("Queue", "QueueName")),
    ({"Fn::Select": [4, {"Fn::Split": ["/", {"Ref": "Queue"}]}]}, Ref("Queue", "QueueName")),
    ({"Fn::Select": [5, {"Fn::Split": [":", {"Ref": "Topic"}]}]}, Ref("Topic", "TopicName")),
    ({"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::GetAtt": ["Stream", "Arn"]}]}]}, Ref("Stream")),
    ({"Fn::Select": [5, {"Fn::Split": [":", {"Fn::GetAtt": ["Stream", "Arn"]}]}]}, UNKNOWN),
    ({"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::GetAtt": ["Table", "StreamArn"]}]}]},
     Ref("Table")),
    ({"Fn::Select": [3, {"Fn::Split": ["/", {"Fn::GetAtt": ["Table", "StreamArn"]}]}]}, UNKNOWN),
    ({"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Fn"}]}]}, UNKNOWN),  # a name, not an ARN
    ({"Fn::Select": [9, {"Fn::Split": [":", {"Ref": "Live"}]}]}, UNKNOWN),
])
def test_parts_of_known_arns(raw, expected):
    assert _template().resolver.one(raw) == expected


def test_the_function_behind_cdks_alias_event_source_mapping():
    mapping = """\
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Join ["", [!Select [6, !Split [":", !Ref Live]], ":live"]]
"""
    edges = list(build_graph(_template(mapping)).of_kind(INVOKES))
    assert [(e.source, e.target, e.qualifier) for e in edges] == [("Queue", "Fn", "live")]
