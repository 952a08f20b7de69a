"""Data stores in the graph: S3 notifications, the grants that let S3 deliver, DB clusters."""

from __future__ import annotations

from awslint_rules.graph import CONTAINS, INVOKES, NOTIFIES, PERMITS, build_graph
from awslint_rules.load import load_document
from awslint_rules.template import Template


def _edges(text: str, kind: str) -> list:
    template = Template(load_document("t.yaml", text.encode()))
    return [e for e in build_graph(template).edges if e.kind == kind]


NOTIFYING_BUCKET = """
Conditions:
  Prod: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Fn:
    Type: AWS::Lambda::Function
  Alias:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, Name: live}
  Queue:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration: !If
        - Prod
        - LambdaConfigurations:
            - {Event: "s3:ObjectCreated:*", Function: !Ref Alias}
          QueueConfigurations:
            - {Event: "s3:ObjectCreated:*", Queue: !GetAtt Queue.Arn}
        - TopicConfigurations:
            - {Event: "s3:ObjectCreated:*", Topic: arn:aws:sns:us-east-1:123456789012:other}
"""


def test_bucket_notifies_each_destination_on_its_branch():
    edges = _edges(NOTIFYING_BUCKET, NOTIFIES)
    found = {(e.target, e.protocol, e.conditions, e.path[-1]) for e in edges}
    assert found == {
        ("Fn", "lambda", (("Prod", True),), "Function"),  # an alias names its function
        ("Queue", "sqs", (("Prod", True),), "Queue"),
        (None, "sns", (("Prod", False),), "Topic"),  # outside this template
    }
    invokes = _edges(NOTIFYING_BUCKET, INVOKES)
    assert [(e.source, e.target, e.mode, e.qualifier) for e in invokes] == [
        ("Bucket", "Fn", "async", "live")]


def test_sam_s3_event_notifies_its_function():
    text = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Upload:
          Type: S3
          Properties: {Bucket: !Ref Bucket, Events: "s3:ObjectCreated:*"}
"""
    edges = _edges(text, NOTIFIES)
    assert [(e.source, e.target, e.sam_event) for e in edges] == [("Bucket", "Fn", "S3")]


def test_resource_policy_open_to_everyone_permits_star():
    text = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Policy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: "*"}, Action: "sns:Publish", Resource: "*"}
          - {Effect: Deny, Principal: "*", Action: "sns:Publish", Resource: "*"}
"""
    assert [(e.target, e.principal) for e in _edges(text, PERMITS)] == [("Topic", "*")]


def test_connectors_permit_the_source_service():
    text = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
  Queue:
    Type: AWS::SQS::Queue
  Topic:
    Type: AWS::SNS::Topic
    Connectors:
      ToQueue:
        Properties:
          Destination: {Id: Queue}
          Permissions: [Write]
  Standalone:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Type: AWS::S3::Bucket, Arn: arn:aws:s3:::uploads}
      Destination: [{Id: Fn}]
      Permissions: [Write]
  ReadOnly:
    Type: AWS::Serverless::Connector
    Properties:
      Source: {Id: Topic}
      Destination: {Id: Fn}
      Permissions: [Read]
"""
    found = {(e.owner, e.target, e.principal) for e in _edges(text, PERMITS)}
    assert found == {("Topic", "Queue", "sns.amazonaws.com"),
                     ("Standalone", "Fn", "s3.amazonaws.com")}


def test_db_cluster_contains_instances_by_reference_or_name():
    text = """
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-mysql, DBClusterIdentifier: Orders}
  ByRef:
    Type: AWS::RDS::DBInstance
    Properties: {DBClusterIdentifier: !Ref Cluster}
  ByName:
    Type: AWS::RDS::DBInstance
    Properties: {DBClusterIdentifier: orders}
  Elsewhere:
    Type: AWS::RDS::DBInstance
    Properties: {DBClusterIdentifier: other-cluster}
  Standalone:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres}
"""
    edges = _edges(text, CONTAINS)
    assert [(e.source, e.target, e.path[-1]) for e in edges] == [
        ("Cluster", "ByRef", "DBClusterIdentifier"), ("Cluster", "ByName", "DBClusterIdentifier")]
