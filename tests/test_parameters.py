"""Parameter values given with -p / configuration `parameters`: conditions they decide, parameters
a template does not declare (a note), values outside a parameter's AllowedValues (skipped)."""

from __future__ import annotations

import pytest

from awslint_rules.catalog import load_catalog
from awslint_rules.engine import INVALID_PARAMETER, FileResult, Settings, lint_bytes

# A Classic Load Balancer (WA8001, at its Type) created only in production, and a queue whose
# visibility timeout is too short (WA3002) only for the production function timeout.
STAGED = b"""\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
    Default: prod
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Condition: IsProd
    Properties:
      AvailabilityZones: !GetAZs ""
      Listeners:
        - {LoadBalancerPort: "80", InstancePort: "8080", Protocol: HTTP}
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(event, context): pass"}
      Timeout: !If [IsProd, 30, 5]
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt JobsQueue.Arn
      FunctionName: !Ref Worker
"""

WHEN_PROD = " (when condition IsProd is true)"


def _lint(catalog, raw: bytes = STAGED, **parameters: str) -> FileResult:
    return lint_bytes("t.yaml", raw, Settings(catalog, parameters=parameters))


def _messages(result: FileResult, rule: str) -> list[str]:
    assert result.skipped is None, result.skipped
    return [f.message for f in result.findings if f.rule == rule]


@pytest.mark.parametrize("rule", ["WA8001", "WA3002"])
def test_without_a_value_the_default_decides_nothing(catalog, rule):
    """Default: prod is only what an unnamed deployment gets: the finding stays conditional."""
    messages = _messages(_lint(catalog), rule)
    assert len(messages) == 1 and messages[0].endswith(WHEN_PROD)


@pytest.mark.parametrize("rule", ["WA8001", "WA3002"])
def test_a_value_making_the_condition_false_drops_its_findings(catalog, rule):
    assert _messages(_lint(catalog, Stage="dev"), rule) == []


@pytest.mark.parametrize("rule", ["WA8001", "WA3002"])
def test_a_value_making_the_condition_true_drops_the_suffix(catalog, rule):
    messages = _messages(_lint(catalog, Stage="prod"), rule)
    assert len(messages) == 1 and "IsProd" not in messages[0]
    assert messages[0] == _messages(_lint(catalog), rule)[0].removesuffix(WHEN_PROD)


def test_a_parameter_the_template_does_not_declare_is_ignored_and_noted(catalog):
    result = _lint(catalog, Stage="dev", Region="eu-west-1", Other="x")
    assert result.notes == [
        "parameter Region ignored: not declared by this template",
        "parameter Other ignored: not declared by this template",
    ]
    assert _messages(result, "WA8001") == []  # the declared one still decides
    undeclared_only = _lint(catalog, Region="eu-west-1")
    assert undeclared_only.notes == ["parameter Region ignored: not declared by this template"]
    assert [f.message for f in undeclared_only.findings] == [
        f.message for f in _lint(catalog).findings
    ]


def test_no_notes_without_parameters_or_on_a_template_without_parameters(catalog):
    assert _lint(catalog).notes == []
    assert _lint(catalog, Stage="dev").notes == []
    bare = STAGED.split(b"Resources:\n")[1]
    no_section = b"Resources:\n" + bare.replace(b"    Condition: IsProd\n", b"").replace(
        b"!If [IsProd, 30, 5]", b"30")
    result = _lint(catalog, no_section, Stage="dev")
    assert result.skipped is None and result.findings
    assert result.notes == ["parameter Stage ignored: not declared by this template"]


def test_a_value_outside_allowed_values_skips_the_template(catalog):
    result = _lint(catalog, Stage="qa")
    assert result.findings == []
    assert result.skipped == (
        f"{INVALID_PARAMETER}Stage=qa is not one of its AllowedValues (dev, prod)")


def test_allowed_values_compare_as_strings(catalog):
    raw = STAGED.replace(b"AllowedValues: [dev, prod]", b"AllowedValues: [1, 2, true]").replace(
        b"Default: prod", b"Default: 1").replace(b"!Equals [!Ref Stage, prod]",
                                                 b"!Equals [!Ref Stage, 2]")
    for value in ("1", "2", "true"):
        assert _lint(catalog, raw, Stage=value).skipped is None
    assert _messages(_lint(catalog, raw, Stage="2"), "WA8001")
    assert _messages(_lint(catalog, raw, Stage="1"), "WA8001") == []
    assert _lint(catalog, raw, Stage="True").skipped == (
        f"{INVALID_PARAMETER}Stage=True is not one of its AllowedValues (1, 2, true)")


@pytest.mark.parametrize("kind", ["CommaDelimitedList", "List<AWS::EC2::AvailabilityZone::Name>"])
def test_each_element_of_a_list_parameter_is_checked(catalog, kind):
    raw = STAGED.replace(b"Type: String", b"Type: " + kind.encode()).replace(
        b"Default: prod", b"Default: dev").replace(b"!Equals [!Ref Stage, prod]",
                                                   b"!Equals [prod, prod]")
    assert _lint(catalog, raw, Stage="dev,prod").skipped is None
    assert _lint(catalog, raw, Stage="prod").skipped is None
    assert _lint(catalog, raw, Stage="dev,qa").skipped == (
        f"{INVALID_PARAMETER}Stage=dev,qa is not one of its AllowedValues (dev, prod)")


def test_defaults_and_parameters_without_allowed_values_are_not_checked(catalog):
    bad_default = STAGED.replace(b"Default: prod", b"Default: qa")
    assert _lint(catalog, bad_default).skipped is None
    free = STAGED.replace(b"    AllowedValues: [dev, prod]\n", b"")
    assert _lint(catalog, free, Stage="qa").skipped is None
    intrinsic = STAGED.replace(b"AllowedValues: [dev, prod]", b"AllowedValues: !Ref X")
    assert _lint(catalog, intrinsic, Stage="qa").skipped is None


def test_an_invalid_value_still_notes_undeclared_parameters(catalog):
    result = _lint(catalog, Stage="qa", Region="eu-west-1")
    assert result.skipped is not None and result.skipped.startswith(INVALID_PARAMETER)
    assert result.notes == ["parameter Region ignored: not declared by this template"]


# A value read from a Default is never paired with a branch that needs another value.
KEYS = b"""\
Parameters:
  KeySpec: {Type: String, Default: SYMMETRIC_DEFAULT}
  Region: {Type: String, Default: eu-west-1}
Conditions:
  IsSymmetric: !Equals [!Ref KeySpec, SYMMETRIC_DEFAULT]
  InEurope: !And [!Equals [!Ref Region, eu-west-1], !Equals [!Ref KeySpec, SYMMETRIC_DEFAULT]]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeySpec: !Ref KeySpec
      EnableKeyRotation: !If [IsSymmetric, true, false]
"""


@pytest.mark.parametrize(("given", "branches"), [
    ({}, [("SYMMETRIC_DEFAULT", (("IsSymmetric", True),))]),
    ({"KeySpec": "RSA_2048"}, [("RSA_2048", ())]),
])
def test_a_default_value_carries_the_conditions_it_decides(given, branches):
    from awslint_rules.load import load_document
    from awslint_rules.template import Template

    t = Template(load_document("t.yaml", KEYS), given)
    spec = t.resources["Key"].properties["KeySpec"]
    assert [(b.value, b.conditions) for b in t.branches(spec)] == branches


@pytest.mark.parametrize(("declaration", "reported"), [
    ("{Type: String, Default: dev}", ["Url2"]),
    ("{Type: String, AllowedValues: [dev, prod]}", ["Url2"]),
    ("{Type: String, AllowedValues: [dev, prod, test]}", ["Url2"]),
])
def test_a_finding_needing_exclusive_conditions_is_dropped(declaration, reported):
    """IsDev and IsProd test one parameter against two values: never true together."""
    raw = f"""\
Parameters:
  Stage: {declaration}
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  IsProd: !Equals [prod, !Ref Stage]
  NotProd: !Not [!Condition IsProd]
Resources:
  Url:
    Type: AWS::Lambda::Url
    Condition: IsProd
    Properties:
      AuthType: !If [IsDev, NONE, AWS_IAM]
      TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:f
  Url2:
    Type: AWS::Lambda::Url
    Condition: NotProd
    Properties:
      AuthType: !If [IsDev, NONE, AWS_IAM]
      TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:f
""".encode()
    findings = lint_bytes("t.yaml", raw, Settings(load_catalog())).findings
    assert [f.resource for f in findings if f.rule == "WA1009"] == reported


def test_conditions_on_unknown_values_stay_possible():
    from awslint_rules.intrinsics import can_hold

    section = {"A": {"Fn::Equals": [{"Fn::Select": [0, {"Ref": "L"}]}, "x"]},
               "B": {"Fn::Equals": [{"Ref": "P"}, "y"]}}
    assert can_hold(section, (("A", True), ("B", True)), {}, {})
    section["C"] = {"Fn::Equals": [{"Ref": "P"}, "w"]}
    assert not can_hold(section, (("B", True), ("C", True)), {}, {})
    assert can_hold(section, (("B", False), ("C", False)), {}, {})
