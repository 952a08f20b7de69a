"""The queue SAM creates for an SNS event's `SqsSubscription: true` takes no settings: the
findings on it say how to give the function a queue of the template's own instead."""

from __future__ import annotations

from awslint_rules.engine import Settings, lint_bytes

TEMPLATE = b"""\
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Own: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      CodeUri: .
      Timeout: 60
      Events:
        Created:
          Type: SNS
          Properties: {Topic: !Ref Topic, SqsSubscription: true}
        Declared:
          Type: SNS
          Properties:
            Topic: !Ref Topic
            SqsSubscription: {QueueArn: !GetAtt Own.Arn, QueueUrl: !Ref Own}
"""


def test_findings_on_the_queue_sam_creates_say_how_to_declare_one(catalog):
    rules = {rule_id: catalog[rule_id] for rule_id in ("EA3001", "WA3003")}
    findings = lint_bytes("t.yaml", TEMPLATE, Settings(rules)).findings
    created = [f for f in findings if "FnCreatedQueue" in f.message]
    declared = [f for f in findings if "'Own'" in f.message]
    assert sorted(f.rule for f in created) == ["EA3001", "WA3003"]
    assert sorted(f.rule for f in declared) == ["EA3001", "WA3003"]
    assert all("SqsSubscription QueueArn" in f.message for f in created)
    assert not any("SqsSubscription" in f.message for f in declared)
