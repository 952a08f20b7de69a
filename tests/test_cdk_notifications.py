"""`Custom::S3BucketNotifications` (CDK's `bucket.addEventNotification`) is an S3 notification."""

from __future__ import annotations

from awslint_rules.engine import Settings, lint_bytes
from awslint_rules.graph import INVOKES, build_graph
from awslint_rules.load import load_document
from awslint_rules.template import Template

TEMPLATE = """\
Conditions:
  Scan: !Equals [!Ref AWS::Region, eu-west-1]
Resources:
  Uploads:
    Type: AWS::S3::Bucket
  Thumbnailer:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Role: arn:aws:iam::1:role/r,
                 Code: {ZipFile: "def handler(e, c): pass"}}
  Scanner:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Role: arn:aws:iam::1:role/r,
                 Code: {ZipFile: "def handler(e, c): pass"}}
  ScannerInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Scanner
      Qualifier: $LATEST
      DestinationConfig: {OnFailure: {Destination: arn:aws:sqs:eu-west-1:1:failed}}
  UploadsNotifications:
    Type: Custom::S3BucketNotifications
    Properties:
      ServiceToken: arn:aws:lambda:eu-west-1:1:function:handler
      BucketName: !Ref Uploads
      NotificationConfiguration:
        LambdaFunctionConfigurations:
          - Events: ["s3:ObjectCreated:*"]
            LambdaFunctionArn: !GetAtt Thumbnailer.Arn
          - !If
            - Scan
            - Events: ["s3:ObjectRemoved:*"]
              LambdaFunctionArn: !GetAtt Scanner.Arn
            - !Ref AWS::NoValue
      Managed: true
"""


def test_lambda_configurations_are_asynchronous_s3_invokes():
    graph = build_graph(Template(load_document("t.yaml", TEMPLATE.encode())))
    edges = sorted(graph.of_kind(INVOKES), key=lambda e: str(e.target))
    assert [(e.source, e.target, e.origin, e.mode, e.owner, e.conditions) for e in edges] == [
        ("Uploads", "Scanner", "s3", "async", "UploadsNotifications", (("Scan", True),)),
        ("Uploads", "Thumbnailer", "s3", "async", "UploadsNotifications", ()),
    ]


def test_wa1001_on_the_function_without_a_failure_destination(catalog):
    result = lint_bytes("t.yaml", TEMPLATE.encode(), Settings({"WA1001": catalog["WA1001"]}))
    assert [(f.rule, f.resource, f.span.line) for f in result.findings] == [
        ("WA1001", "Thumbnailer", 6)]
