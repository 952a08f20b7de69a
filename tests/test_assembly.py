"""Whole cloud assemblies and linked templates: a manifest's stacks, nested stacks' parameters
bound to the parent's values, Export / Fn::ImportValue between the stacks of an assembly."""

from __future__ import annotations

import json
import shutil

import pytest

from awslint_rules.discover import NOT_A_STACK, discover

from .conftest import invoke
from .test_cdk import ASSEMBLY

PARENT = """\
Resources:
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
  Idle:
    Type: AWS::SQS::Queue
  Workers:
    Type: {stack_type}
    Properties:
      {location_key}: {location}
      Parameters:
        JobsQueueArn: !GetAtt JobsQueue.Arn
        IdleQueueUrl: !Ref Idle
        WorkerTimeout: 120
"""
CHILD = """\
Parameters:
  JobsQueueArn: {Type: String}
  IdleQueueUrl: {Type: String}
  WorkerTimeout: {Type: Number, Default: 10}
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
      Timeout: !Ref WorkerTimeout
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !Ref JobsQueueArn
      FunctionName: !Ref Worker
"""
SAM_CHILD = "Transform: AWS::Serverless-2016-10-31\n" + CHILD


def _nested(tmp_path, stack_type="AWS::CloudFormation::Stack", location_key="TemplateURL",
            child=CHILD, location="workers/child.yaml"):
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "child.yaml").write_text(child)
    (tmp_path / "parent.yaml").write_text(PARENT.format(
        stack_type=stack_type, location_key=location_key, location=location))
    return tmp_path


def _findings(*args: str) -> list[tuple[str, int, str, str | None, list[tuple[str, int]]]]:
    result = invoke("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return [(f["file"].rsplit("/", 1)[-1], f["line"], f["rule"], f["resource"],
             [(r["file"].rsplit("/", 1)[-1], r["line"]) for r in f["related"]])
            for f in json.loads(result.stdout)]


@pytest.mark.parametrize(("stack_type", "location_key", "location"), [
    ("AWS::CloudFormation::Stack", "TemplateURL", "workers/child.yaml"),
    ("AWS::CloudFormation::Stack", "TemplateURL", "./workers/child.yaml"),
    ("AWS::Serverless::Application", "Location", "workers/child.yaml"),
])
def test_a_nested_consumer_of_the_parents_queue(tmp_path, stack_type, location_key, location):
    _nested(tmp_path, stack_type, location_key, location=location)
    assert _findings("--select", "EA3001,WA3002,WA3003,IA3004", str(tmp_path)) == [
        ("parent.yaml", 2, "WA3003", "JobsQueue", [("child.yaml", 14)]),
        ("parent.yaml", 5, "EA3001", "JobsQueue", [("child.yaml", 13), ("child.yaml", 14)]),
        ("parent.yaml", 6, "IA3004", "Idle", []),  # once: the parent's own finding
    ]


def test_a_sam_nested_template_is_linked_too(tmp_path):
    _nested(tmp_path, "AWS::Serverless::Application", "Location", SAM_CHILD)
    rules = {(f[0], f[2]) for f in _findings("--select", "EA3001", str(tmp_path))}
    assert rules == {("parent.yaml", "EA3001")}


def test_nothing_is_linked_without_the_parent_in_the_run(tmp_path):
    _nested(tmp_path)
    assert _findings("--select", "EA3001,WA3003", str(tmp_path / "workers")) == []
    alone = _findings("--select", "EA3001,WA3003,IA3004", str(tmp_path / "parent.yaml"))
    assert [(f[2], f[3]) for f in alone] == [("IA3004", "JobsQueue"), ("IA3004", "Idle")]


def test_a_given_parameter_value_wins_over_the_parents(tmp_path):
    _nested(tmp_path)
    found = _findings("--select", "EA3001,WA3002", "-p", "WorkerTimeout=20", str(tmp_path))
    assert [(f[2], f[3]) for f in found] == [("WA3002", "JobsQueue")]  # 30 s < 6 x 20 s, not < 20 s


def test_a_resource_id_taken_in_the_child_is_not_linked(tmp_path):
    child = CHILD + "  JobsQueue:\n    Type: AWS::SNS::Topic\n"
    _nested(tmp_path, child=child)
    found = _findings("--select", "EA3001,WA3003,IA3004", str(tmp_path))
    assert ("parent.yaml", "EA3001") not in {(f[0], f[2]) for f in found}


def test_a_url_template_is_not_linked(tmp_path):
    _nested(tmp_path, location="https://s3.amazonaws.com/bucket/workers/child.yaml")
    assert "EA3001" not in {f[2] for f in _findings("--select", "EA3001", str(tmp_path))}


def test_the_manifest_names_the_templates(tmp_path):
    copy = shutil.copytree(ASSEMBLY, tmp_path / "cdk.out")
    (copy / "tree.json").write_text("{}")
    (copy / "Orders.assets.json").write_text('{"version": "55.0.0", "files": {}}')
    (copy / "asset.1234").mkdir()
    (copy / "asset.1234" / "index.json").write_text('{"Resources": {}}')
    discovery = discover([str(copy)])
    names = sorted(f.rsplit("/", 1)[-1] for f in discovery.files)
    assert names == sorted(p.name for p in ASSEMBLY.rglob("*.template.json"))
    assert {(p.rsplit("/", 1)[-1], why) for p, why in discovery.passed_over} == {
        ("tree.json", NOT_A_STACK), ("Orders.assets.json", NOT_A_STACK),
        ("asset.1234", NOT_A_STACK)}
    assert sorted(discovery.assemblies) == [
        str(copy / "assembly-Staging" / "manifest.json"), str(copy / "manifest.json")]
    assert discover([str(copy / "manifest.json")]).files == discovery.files
    result = invoke(str(copy))
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_without_a_manifest_each_file_is_linted_alone(tmp_path):
    copy = shutil.copytree(ASSEMBLY, tmp_path / "out")
    (copy / "manifest.json").unlink()
    found = {(f[0], f[2], f[3]) for f in _findings(str(copy))}
    assert ("Shared.template.json", "IA3004", "InvoicesQueue9AE6B222") in found
    assert ("Shared.template.json", "EA3001", "InvoicesQueue9AE6B222") not in found
    # the nested stack is linked by its parent's aws:asset:path, manifest or not
    assert ("Platform.template.json", "EA3001", "JobsQueue86ED6666") in found


def test_exports_link_only_within_one_assembly(tmp_path):
    first = shutil.copytree(ASSEMBLY, tmp_path / "one")
    second = tmp_path / "two"
    second.mkdir()
    shutil.move(str(first / "Billing.template.json"), second / "Billing.template.json")
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["artifacts"] = {"Billing": manifest["artifacts"]["Billing"]}
    (second / "manifest.json").write_text(json.dumps(manifest))
    found = {(f[0], f[2]) for f in _findings(str(first), str(second))}
    assert ("Shared.template.json", "EA3001") not in found


def test_parallel_runs_link_the_same(tmp_path):
    serial = invoke("--format", "json", str(ASSEMBLY)).stdout
    assert invoke("--format", "json", "-j", "2", str(ASSEMBLY)).stdout == serial


def test_the_linked_queues_own_suppression_applies(tmp_path):
    _nested(tmp_path)
    parent = (tmp_path / "parent.yaml").read_text().replace(
        "      VisibilityTimeout: 30\n",
        "      VisibilityTimeout: 30\n    Metadata:\n      awslint-rules:\n        ignore:\n"
        "          - {rule: EA3001, reason: the workers stop after 25 s}\n")
    (tmp_path / "parent.yaml").write_text(parent)
    result = invoke("--format", "json", "--show-suppressed", "--select", "EA3001,IA0002",
                    str(tmp_path))
    findings = json.loads(result.stdout)
    assert [(f["rule"], f["resource"], f["suppression"]["justification"]) for f in findings] == [
        ("EA3001", "JobsQueue", "the workers stop after 25 s")]


def test_fingerprints_do_not_depend_on_how_the_directory_is_spelled(tmp_path, monkeypatch):
    _nested(tmp_path)
    monkeypatch.chdir(tmp_path)

    def fingerprints(argument: str) -> list[str]:
        findings = json.loads(invoke("--format", "json", argument).stdout)
        return sorted(f["fingerprint"] for f in findings)

    assert fingerprints(".") == fingerprints(str(tmp_path)) == fingerprints("./workers/..")


QUEUES = """\
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 20}
Outputs:
  JobsArn:
    Value: !GetAtt Jobs.Arn
"""
CONSUMER = """\
Parameters:
  QueueArn: {Type: String}
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
      Timeout: 60
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !Ref QueueArn, FunctionName: !Ref Worker}
"""
TOP = """\
Resources:
  Queues:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: queues.yaml}
  Consumers:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: consumer.yaml
      Parameters: {QueueArn: !GetAtt Queues.Outputs.JobsArn}
  Parent:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
      Timeout: 25
  ParentMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt [Queues, Outputs.JobsArn], FunctionName: !Ref Parent}
"""


def test_nested_outputs_reach_the_parent_and_the_siblings(tmp_path):
    for name, text in (("queues.yaml", QUEUES), ("consumer.yaml", CONSUMER), ("top.yaml", TOP)):
        (tmp_path / name).write_text(text)
    found = _findings("--select", "EA3001,WA3003,IA3004", str(tmp_path))
    assert [f for f in found if f[2] != "WA3003"] == [
        ("queues.yaml", 4, "EA3001", "Jobs", [("top.yaml", 17), ("top.yaml", 18)]),
        ("queues.yaml", 4, "EA3001", "Jobs", [("consumer.yaml", 11), ("consumer.yaml", 12)]),
    ]


def test_a_queue_used_by_a_linked_template_is_no_unused_queue(tmp_path):
    child = CHILD.replace("      Timeout: !Ref WorkerTimeout\n",
                          "      Timeout: !Ref WorkerTimeout\n"
                          "      DeadLetterConfig: {TargetArn: !Ref IdleQueueArn}\n")
    child = child.replace("  IdleQueueUrl: {Type: String}\n", "  IdleQueueArn: {Type: String}\n")
    _nested(tmp_path, child=child)
    parent = (tmp_path / "parent.yaml").read_text().replace(
        "IdleQueueUrl: !Ref Idle", "IdleQueueArn: !GetAtt Idle.Arn")
    (tmp_path / "parent.yaml").write_text(parent)
    # consumed (JobsQueue) or a dead-letter queue (Idle) in the nested template: whatever the
    # other rules selected, IA3004 does not say they are unused
    assert _findings("--select", "IA3004", str(tmp_path)) == []
    assert _findings("--select", "IA3004", "-j", "2", str(tmp_path)) == []


def test_only_event_sources_and_failure_targets_are_linked(tmp_path):
    # a function of the parent (with its EventInvokeConfig there) is not linked into the
    # nested template that invokes it; nor a queue that is a dead-letter queue in the parent
    parent = """\
Resources:
  Handler:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
  HandlerFailures:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Handler
      Qualifier: $LATEST
      DestinationConfig: {OnFailure: {Destination: !GetAtt Redrive.Arn}}
  Main:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Redrive.Arn, maxReceiveCount: 3}
  Redrive:
    Type: AWS::SQS::Queue
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: child.yaml
      Parameters: {HandlerArn: !GetAtt Handler.Arn, RedriveArn: !GetAtt Redrive.Arn}
"""
    child = """\
Parameters:
  HandlerArn: {Type: String}
  RedriveArn: {Type: String}
Resources:
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets: [{Id: handler, Arn: !Ref HandlerArn}]
  Replayer:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(e, c): pass"}
      Timeout: 60
  Replay:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !Ref RedriveArn, FunctionName: !Ref Replayer}
"""
    (tmp_path / "parent.yaml").write_text(parent)
    (tmp_path / "child.yaml").write_text(child)
    found = _findings("--select", "WA1001,EA3001,WA3002,WA3003,IA3004", str(tmp_path))
    assert found == []


def test_one_template_of_an_assembly_is_linked_through_the_manifest_beside_it():
    consumer = _findings("--select", "EA3001", str(ASSEMBLY / "Billing.template.json"))
    assert [(f[0], f[2], f[3], f[4][0][0]) for f in consumer] == [
        ("Shared.template.json", "EA3001", "InvoicesQueue9AE6B222", "Billing.template.json")]
    nested = _findings("--select", "EA3001",
                       str(ASSEMBLY / "PlatformWorkers0DA245F0.nested.template.json"))
    assert [(f[0], f[3]) for f in nested] == [("Platform.template.json", "JobsQueue86ED6666")]


_SITE = {
    "Conditions": {"AwsCdkKinesisEncryptedStreamsUnsupportedRegions": {"Fn::Or": [
        {"Fn::Equals": [{"Ref": "AWS::Region"}, "cn-north-1"]},
        {"Fn::Equals": [{"Ref": "AWS::Region"}, "cn-northwest-1"]}]}},
    "Resources": {
        "Cert": {"Type": "AWS::CertificateManager::Certificate",
                 "Properties": {"DomainName": "www.example.com"}},
        "Cdn": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": True, "Aliases": ["www.example.com"],
            "ViewerCertificate": {"AcmCertificateArn": {"Ref": "Cert"},
                                  "SslSupportMethod": "sni-only"},
            "Origins": [{"Id": "o", "DomainName": "example.com",
                         "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
            "DefaultCacheBehavior": {"TargetOriginId": "o",
                                     "ViewerProtocolPolicy": "redirect-to-https"}}}},
        "Clicks": {"Type": "AWS::Kinesis::Stream", "Properties": {
            "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
            "StreamEncryption": {"Fn::If": [
                "AwsCdkKinesisEncryptedStreamsUnsupportedRegions", {"Ref": "AWS::NoValue"},
                {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}]}}},
    },
}


def _site_assembly(tmp_path, environment: str):
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "Site.template.json").write_text(json.dumps(_SITE, indent=1))
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"Site": {
        "type": "aws:cloudformation:stack", "environment": environment,
        "properties": {"templateFile": "Site.template.json"}}}}))
    return out


@pytest.mark.parametrize(("environment", "option", "expected"), [
    # the manifest's Region: the certificate of the stack is in eu-west-1, the stream encrypted
    ("aws://111111111111/eu-west-1", (), {"EA8002"}),
    ("aws://111111111111/eu-west-1", ("--region", "us-east-1"), {"EA8002"}),
    ("aws://111111111111/us-east-1", (), set()),
    ("aws://111111111111/cn-north-1", (), {"EA8002", "IA6007"}),
    # an environment-agnostic stack: the Region is unknown (or the region setting)
    ("aws://unknown-account/unknown-region", (), {"IA6007"}),
    ("aws://unknown-account/unknown-region", ("--region", "eu-west-1"), {"EA8002"}),
])
def test_a_stacks_region_comes_from_its_manifest(tmp_path, environment, option, expected):
    out = _site_assembly(tmp_path, environment)
    found = {f[2] for f in _findings("--select", "EA8002,IA6007", *option, str(out))}
    assert found == expected
    alone = {f[2] for f in _findings("--select", "EA8002,IA6007", *option,
                                     str(out / "Site.template.json"))}
    assert alone == expected  # one template of the assembly, linked through the manifest


def test_nested_stacks_and_stages_take_their_parents_region(tmp_path):
    from awslint_rules.assembly import build_assembly

    copy = shutil.copytree(ASSEMBLY, tmp_path / "cdk.out")
    for manifest in [copy / "manifest.json", *copy.glob("assembly-*/manifest.json")]:
        data = json.loads(manifest.read_text())
        for name, artifact in data["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack" and name != "Billing":
                artifact["environment"] = "aws://111111111111/ap-south-1"
        manifest.write_text(json.dumps(data))
    discovery = discover([str(copy)])
    assembly = build_assembly(discovery.files, discovery.assemblies)
    regions = {f.rsplit("/", 1)[-1]: assembly.region_of(f) for f in discovery.files}
    assert regions["PlatformWorkers0DA245F0.nested.template.json"] == "ap-south-1"
    assert regions["StagingStreams13CA000A.template.json"] == "ap-south-1"
    assert regions["Billing.template.json"] is None  # environment-agnostic


def _edge_assembly(tmp_path, parameter_name="/cdk/EdgeFunctionArn/eu-west-1/Site/Auth"):
    """What CDK synthesizes for `cloudfront.experimental.EdgeFunction` in a eu-west-1 stack: the
    function and its version in a us-east-1 stack, whose ARN a custom resource reads back."""
    site = {"Resources": {
        "AuthArnReader": {"Type": "Custom::CrossRegionStringParameterReader", "Properties": {
            "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:reader",
            "Region": "us-east-1", "ParameterName": "/cdk/EdgeFunctionArn/eu-west-1/Site/Auth"}},
        "Cdn": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": True,
            "Origins": [{"Id": "o", "DomainName": "example.com",
                         "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
            "DefaultCacheBehavior": {
                "TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                "LambdaFunctionAssociations": [{
                    "EventType": "viewer-request",
                    "LambdaFunctionARN": {"Fn::GetAtt": ["AuthArnReader", "FunctionArn"]}}]}}}},
    }}
    edge = {"Resources": {
        "Auth": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "nodejs22.x", "Handler": "index.handler", "Timeout": 10,
            "Role": "arn:aws:iam::111111111111:role/edge", "Code": {"ZipFile": "x"}}},
        "AuthVersion": {"Type": "AWS::Lambda::Version",
                        "Properties": {"FunctionName": {"Ref": "Auth"}}},
        "AuthParameter": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": parameter_name, "Type": "String", "Value": {"Ref": "AuthVersion"}}},
    }}
    out = tmp_path / "cdk.out"
    out.mkdir()
    artifacts = {}
    for name, body, region in (("Site", site, "eu-west-1"), ("edge-lambda-stack", edge,
                                                              "us-east-1")):
        (out / f"{name}.template.json").write_text(json.dumps(body, indent=1))
        artifacts[name] = {"type": "aws:cloudformation:stack",
                           "environment": f"aws://111111111111/{region}",
                           "properties": {"templateFile": f"{name}.template.json"}}
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0",
                                                   "artifacts": artifacts}))
    return out


def test_cdk_edge_functions_are_followed_into_their_us_east_1_stack(tmp_path):
    out = _edge_assembly(tmp_path)
    found = _findings("--select", "EA8006,EA8007", str(out))
    # the viewer-request function's timeout, in the edge stack, with the association related;
    # not "created in eu-west-1" (it is in the us-east-1 stack), and a version (no EA8006)
    assert found == [("edge-lambda-stack.template.json", 8, "EA8007", "Auth",
                      [("Site.template.json", 29)])]


def test_an_edge_parameter_of_another_name_is_not_followed(tmp_path):
    out = _edge_assembly(tmp_path, parameter_name="/cdk/EdgeFunctionArn/eu-west-1/Site/Other")
    assert _findings("--select", "EA8006,EA8007", str(out)) == []
