"""Generate a large, realistic mixed SAM/CloudFormation template for benchmarking.

The template is built from repeated "service units" (a worker function fed by an SQS queue that
is subscribed to an SNS topic, an API function with Api and Schedule events, a DynamoDB table,
a dead-letter queue and a queue policy), topped up with standalone queues, topics and tables so
that it holds exactly the requested number of resources. Some units deliberately carry common
architecture mistakes (short visibility timeouts, missing redrive policies, long API timeouts),
so a linter has findings to report, as in a real code base.

Usage: python scripts/make_large_template.py [N_RESOURCES] > template.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Callable

UNIT_SIZE = 8
RUNTIMES = ("python3.12", "nodejs22.x", "python3.13", "java21")
SCHEDULES = ("rate(5 minutes)", "rate(1 hour)", "cron(0 3 * * ? *)", "rate(1 day)")
METHODS = ("get", "post", "put", "delete")

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: Generated benchmark template ({n} resources)
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, staging, prod]
  LogLevel:
    Type: String
    Default: INFO
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Timeout: 30
    MemorySize: 256
    Tracing: Active
    Environment:
      Variables:
        STAGE: !Ref Stage
        LOG_LEVEL: !Ref LogLevel
Resources:
"""


def _dead_letter_queue(p: str, i: int) -> str:
    return f"""\
  {p}DeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
      Tags:
        - Key: unit
          Value: {p.lower()}
"""


def _queue(p: str, i: int) -> str:
    # Every fourth unit forgets the redrive policy; every third has a too-short visibility timeout.
    visibility = 60 if i % 3 == 0 else 360
    redrive = (
        ""
        if i % 4 == 0
        else f"""\
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt {p}DeadLetterQueue.Arn
        maxReceiveCount: 5
"""
    )
    return f"""\
  {p}Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: {visibility}
      KmsMasterKeyId: alias/aws/sqs
{redrive}"""


def _topic(p: str, i: int) -> str:
    return f"""\
  {p}Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: {p} events
      KmsMasterKeyId: alias/aws/sns
"""


def _subscription(p: str, i: int) -> str:
    return f"""\
  {p}Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      Protocol: sqs
      TopicArn: !Ref {p}Topic
      Endpoint: !GetAtt {p}Queue.Arn
      RawMessageDelivery: true
"""


def _queue_policy(p: str, i: int) -> str:
    return f"""\
  {p}QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues:
        - !Ref {p}Queue
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: sns.amazonaws.com
            Action: sqs:SendMessage
            Resource: !GetAtt {p}Queue.Arn
            Condition:
              ArnEquals:
                aws:SourceArn: !Ref {p}Topic
"""


def _table(p: str, i: int) -> str:
    return f"""\
  {p}Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: pk
          AttributeType: S
        - AttributeName: sk
          AttributeType: S
      KeySchema:
        - AttributeName: pk
          KeyType: HASH
        - AttributeName: sk
          KeyType: RANGE
      PointInTimeRecoverySpecification:
        PointInTimeRecoveryEnabled: !If [IsProd, true, false]
      StreamSpecification:
        StreamViewType: NEW_AND_OLD_IMAGES
"""


def _worker(p: str, i: int) -> str:
    return f"""\
  {p}Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.handler
      Runtime: {RUNTIMES[i % len(RUNTIMES)]}
      CodeUri: src/{p.lower()}/
      Timeout: 60
      ReservedConcurrentExecutions: {5 + i % 20}
      Environment:
        Variables:
          TABLE_NAME: !Ref {p}Table
          TOPIC_ARN: !Ref {p}Topic
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref {p}Table
        - SQSPollerPolicy:
            QueueName: !GetAtt {p}Queue.QueueName
      Events:
        Messages:
          Type: SQS
          Properties:
            Queue: !GetAtt {p}Queue.Arn
            BatchSize: {10 * (1 + i % 5)}
            FunctionResponseTypes:
              - ReportBatchItemFailures
"""


def _api_function(p: str, i: int) -> str:
    # Every fifth API function has a timeout longer than the 29 s API Gateway limit.
    timeout = 60 if i % 5 == 0 else 15
    return f"""\
  {p}ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: api.handler
      Runtime: {RUNTIMES[(i + 1) % len(RUNTIMES)]}
      CodeUri: src/{p.lower()}/
      Timeout: {timeout}
      Environment:
        Variables:
          TABLE_NAME: !Ref {p}Table
          TOPIC_ARN: !Ref {p}Topic
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref {p}Table
        - SNSPublishMessagePolicy:
            TopicName: !GetAtt {p}Topic.TopicName
      Events:
        Api:
          Type: Api
          Properties:
            Path: /{p.lower()}/items/{{id}}
            Method: {METHODS[i % len(METHODS)]}
        Refresh:
          Type: Schedule
          Properties:
            Schedule: {SCHEDULES[i % len(SCHEDULES)]}
            Enabled: !If [IsProd, true, false]
"""


UNIT_PARTS: tuple[Callable[[str, int], str], ...] = (
    _dead_letter_queue,
    _queue,
    _topic,
    _subscription,
    _queue_policy,
    _table,
    _worker,
    _api_function,
)
FILLERS: tuple[Callable[[str, int], str], ...] = (_table, _topic, _dead_letter_queue)


def _resources(n_resources: int) -> list[str]:
    """Full units first, then standalone resources (no dangling references) to reach n."""
    blocks: list[str] = []
    n_units, remainder = divmod(n_resources, len(UNIT_PARTS))
    for i in range(n_units):
        prefix = f"Orders{i:03d}"
        blocks.extend(part(prefix, i) for part in UNIT_PARTS)
    for j in range(remainder):
        blocks.append(FILLERS[j % len(FILLERS)](f"Extra{j:03d}", j))
    return blocks


def _outputs(n_units: int) -> str:
    lines = ["Outputs:\n"]
    for i in range(min(n_units, 20)):
        prefix = f"Orders{i:03d}"
        lines.append(
            f"""\
  {prefix}QueueUrl:
    Value: !Ref {prefix}Queue
    Export:
      Name: !Sub "${{AWS::StackName}}-{prefix}QueueUrl"
"""
        )
    return "".join(lines) if len(lines) > 1 else ""


def make_template(n_resources: int) -> str:
    """Return a YAML SAM template with exactly `n_resources` entries under Resources."""
    if n_resources < 1:
        raise ValueError("n_resources must be at least 1")
    body = "".join(_resources(n_resources))
    return HEADER.format(n=n_resources) + body + _outputs(n_resources // len(UNIT_PARTS))


def main(argv: list[str]) -> int:
    n_resources = int(argv[1]) if len(argv) > 1 else 400
    sys.stdout.write(make_template(n_resources))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
