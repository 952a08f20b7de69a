"""The AWS defaults the checks assume when a template leaves a property out: the one table.

Keys are `ResourceType.Property[.SubProperty]`. A rule lists the keys it relies on under
`defaults:` in its YAML (checked when the catalog loads) and cites the AWS page behind each value;
`awslint-rules explain` prints them with these values. SAM event properties use the keys of the
CloudFormation resource SAM creates for them (an `SQS` event's `MaximumBatchingWindowInSeconds`
is the event source mapping's).
"""

from __future__ import annotations

from typing import Any

AWS_DEFAULTS: dict[str, Any] = {
    "AWS::Lambda::Function.Timeout": 3,
    "AWS::Serverless::Function.Timeout": 3,
    "AWS::Lambda::Function.MemorySize": 128,
    "AWS::Serverless::Function.MemorySize": 128,
    "AWS::SQS::Queue.VisibilityTimeout": 30,
    "AWS::SQS::Queue.MessageRetentionPeriod": 345600,
    "AWS::Lambda::EventSourceMapping.MaximumBatchingWindowInSeconds": 0,
    "AWS::Lambda::EventSourceMapping.BatchSize.SQS": 10,  # for an SQS source (streams: 100)
    "AWS::Lambda::EventSourceMapping.MaximumRetryAttempts": -1,
    "AWS::Lambda::EventSourceMapping.MaximumRecordAgeInSeconds": -1,
    "AWS::Lambda::EventInvokeConfig.MaximumRetryAttempts": 2,
    "AWS::Lambda::EventInvokeConfig.MaximumEventAgeInSeconds": 21600,
    "AWS::DynamoDB::Table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled": False,
    "AWS::RDS::DBInstance.MultiAZ": False,
    "AWS::KMS::Key.EnableKeyRotation": False,
    "AWS::KMS::Key.KeySpec": "SYMMETRIC_DEFAULT",
    "AWS::KMS::Key.Origin": "AWS_KMS",
    "AWS::EC2::VPCEndpoint.VpcEndpointType": "Gateway",
}
