"""User rule folders: declarative `match:` rules with jsonpath-ng (see rules/README.md)."""

from __future__ import annotations

import pytest

from awslint_rules.catalog import CatalogError, load_catalog
from awslint_rules.checks.declarative import validate_match
from awslint_rules.engine import Settings, lint_bytes

RULE = """id: WU0001
name: function-url-without-auth
level: warning
tags: [lambda, security]
match:
  resource_type: AWS::Lambda::Url
  where: "$.AuthType"
  when: equals
  equals: NONE
  message: "Function URL '{resource}' has AuthType {value}: anyone can invoke it."
summary: A Lambda function URL accepts unauthenticated requests.
"""
ABSENT = """id: IU0002
name: topic-without-kms
level: info
match:
  resource_type: AWS::SNS::Topic
  where: "$.KmsMasterKeyId"
  when: absent
summary: A topic without encryption at rest.
"""
TEMPLATE = b"""AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Auth: {Type: String}
Conditions:
  Open: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Public:
    Type: AWS::Lambda::Url
    Properties: {AuthType: NONE, TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:f}
  Maybe:
    Type: AWS::Lambda::Url
    Properties:
      AuthType: !If [Open, NONE, AWS_IAM]
      TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:f
  Unknown:
    Type: AWS::Lambda::Url
    Properties: {AuthType: !Ref Auth, TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:f}
  Private:
    Type: AWS::Lambda::Url
    Properties: {AuthType: AWS_IAM, TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:f}
  Plain:
    Type: AWS::SNS::Topic
  Encrypted:
    Type: AWS::SNS::Topic
    Properties: {KmsMasterKeyId: alias/aws/sns}
"""


@pytest.fixture()
def user_rules(tmp_path):
    (tmp_path / "WU0001.yaml").write_text(RULE)
    (tmp_path / "IU0002.yaml").write_text(ABSENT)
    return {k: v for k, v in load_catalog([str(tmp_path)]).items() if k[1] == "U"}


def test_equals_with_branches_and_unknowns(user_rules):
    findings = lint_bytes("t.yaml", TEMPLATE, Settings(user_rules)).findings
    found = [(f.rule, f.resource, f.span.line, f.span.column, f.message) for f in findings]
    assert found == [
        ("WU0001", "Public", 9, 28,
         "Function URL 'Public' has AuthType NONE: anyone can invoke it."),
        ("WU0001", "Maybe", 13, 17, "Function URL 'Maybe' has AuthType NONE: anyone can invoke "
         "it. (when condition Open is true)"),
        ("IU0002", "Plain", 21, 3, "A topic without encryption at rest."),
    ]


SINGLE_AZ = """id: WU0003
name: rds-single-az
level: warning
match:
  resource_type: AWS::RDS::DBInstance
  all:
    - where: "$.MultiAZ"
      when: not_equals
      not_equals: true
      default: false
    - where: "$.DBClusterIdentifier"
      when: absent
  at: Properties.MultiAZ
  message: "'{resource}' has MultiAZ {value}."
summary: A single-AZ database.
"""
ON_EC2 = """id: IU0004
name: ecs-on-ec2
level: info
match:
  resource_type: [AWS::ECS::Service, AWS::ECS::TaskDefinition]
  where: "$.LaunchType"
  when: equals
  equals: [EC2, EXTERNAL]
summary: Runs on EC2.
"""
DATABASES = b"""Parameters:
  Ha: {Type: String}
Conditions:
  Prod: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Absent:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: mysql}
  Off:
    Type: AWS::RDS::DBInstance
    Properties: {MultiAZ: false}
  On:
    Type: AWS::RDS::DBInstance
    Properties: {MultiAZ: true}
  Aurora:
    Type: AWS::RDS::DBInstance
    Properties: {DBClusterIdentifier: c}
  Branches:
    Type: AWS::RDS::DBInstance
    Properties: {MultiAZ: !If [Prod, true, false]}
  NoValue:
    Type: AWS::RDS::DBInstance
    Properties: {MultiAZ: !If [Prod, true, !Ref AWS::NoValue]}
  Unknown:
    Type: AWS::RDS::DBInstance
    Properties: {MultiAZ: !Ref Ha}
  Service:
    Type: AWS::ECS::Service
    Properties: {LaunchType: ec2}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties: {LaunchType: FARGATE}
"""


def test_all_conditions_not_equals_defaults_and_lists(tmp_path):
    (tmp_path / "WU0003.yaml").write_text(SINGLE_AZ)
    (tmp_path / "IU0004.yaml").write_text(ON_EC2)
    rules = {k: v for k, v in load_catalog([str(tmp_path)]).items() if k[1] == "U"}
    findings = lint_bytes("t.yaml", DATABASES, Settings(rules)).findings
    assert [(f.rule, f.resource, f.span.line, f.span.column, f.message) for f in findings] == [
        ("WU0003", "Absent", 6, 3, "'Absent' has MultiAZ unset (default false)."),
        ("WU0003", "Off", 11, 27, "'Off' has MultiAZ false."),
        ("WU0003", "Branches", 20, 27,
         "'Branches' has MultiAZ false. (when condition Prod is false)"),
        ("WU0003", "NoValue", 23, 27,
         "'NoValue' has MultiAZ unset (default false). (when condition Prod is false)"),
        ("IU0004", "Service", 29, 30, "Runs on EC2."),
    ]


NO_ACL = """id: IU0005
name: distribution-without-waf
level: info
match:
  resource_type: AWS::CloudFront::Distribution
  where: "$.DistributionConfig.WebACLId"
  when: absent
summary: No web ACL.
"""
LAUNCH_CONFIGURATION = """id: WU0006
name: launch-configuration
level: warning
match:
  resource_type: AWS::AutoScaling::AutoScalingGroup
  where: "$.LaunchConfigurationName"
  at: Properties.LaunchConfigurationName
summary: A launch configuration.
"""
LISTENERS = """id: WU0007
name: plain-http-listener
level: warning
match:
  resource_type: AWS::ElasticLoadBalancing::LoadBalancer
  where: "$.Listeners[*].Protocol"
  when: equals
  equals: HTTP
summary: A plain HTTP listener.
"""
PRESENCE = b"""Parameters:
  Config: {Type: String}
Conditions:
  Protected: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Sometimes:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        WebACLId: !If [Protected, arn:aws:wafv2:us-east-1:1:global/webacl/a/b, !Ref AWS::NoValue]
  Always:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig: {WebACLId: arn:aws:wafv2:us-east-1:1:global/webacl/a/b}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {LaunchConfigurationName: !Ref Config, MinSize: "1", MaxSize: "1"}
  Lb:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      Listeners:
        - {Protocol: HTTPS, LoadBalancerPort: "443", InstancePort: "80"}
        - {Protocol: HTTP, LoadBalancerPort: "80", InstancePort: "80"}
"""


def test_no_value_is_absent_an_unknown_value_is_present_and_list_items_are_located(tmp_path):
    for rule in (NO_ACL, LAUNCH_CONFIGURATION, LISTENERS):
        (tmp_path / f"{rule[4:10]}.yaml").write_text(rule)
    rules = {k: v for k, v in load_catalog([str(tmp_path)]).items() if k[1] == "U"}
    findings = lint_bytes("t.yaml", PRESENCE, Settings(rules)).findings
    assert [(f.rule, f.resource, f.span.line, f.span.column, f.message) for f in findings] == [
        ("IU0005", "Sometimes", 6, 3, "No web ACL. (when condition Protected is false)"),
        ("WU0006", "Group", 17, 43, "A launch configuration."),
        ("WU0007", "Lb", 23, 22, "A plain HTTP listener."),
    ]


def test_a_user_rule_cannot_reuse_a_builtin_id(tmp_path):
    (tmp_path / "WA3002.yaml").write_text(RULE.replace("WU0001", "WA3002"))
    with pytest.raises(CatalogError, match="defined twice"):
        load_catalog([str(tmp_path)])


def test_level_must_match_the_id(tmp_path):
    (tmp_path / "EU0001.yaml").write_text(RULE.replace("WU0001", "EU0001"))
    with pytest.raises(CatalogError, match="level"):
        load_catalog([str(tmp_path)])


VALID = {"resource_type": "AWS::Lambda::Url", "where": "$.AuthType", "when": "equals",
         "equals": "NONE", "at": "Properties.AuthType", "message": "'{resource}' is open"}
NO_EQUALS = {key: value for key, value in VALID.items() if key != "equals"}


@pytest.mark.parametrize("rule_id", [i for i, r in load_catalog().items() if r.match is not None])
def test_builtin_declarative_rules_are_valid(rule_id):
    assert validate_match(load_catalog()[rule_id].match) == []


@pytest.mark.parametrize("match", [
    VALID,
    {"resource_type": "AWS::SNS::Topic"},
    {"resource_type": ["AWS::Lambda::Function", "AWS::Serverless::Function"], "where": "$.X"},
    {"resource_type": "Custom::My_Thing", "where": "$.Listeners[*].Protocol", "when": "absent"},
    {**VALID, "equals": 0},
    {**VALID, "equals": False},
    {**VALID, "equals": ["NONE", "none"], "default": "NONE"},
    {**NO_EQUALS, "when": "not_equals", "not_equals": "AWS_IAM"},
    {"resource_type": "AWS::RDS::DBInstance", "all": [
        {"where": "$.MultiAZ", "when": "not_equals", "not_equals": True, "default": False},
        {"where": "$.DBClusterIdentifier", "when": "absent"}]},
])
def test_a_valid_match_has_no_problems(match):
    assert validate_match(match) == []


KNOWN = "(known: resource_type, where, when, equals, not_equals, default, all, at, message)"


@pytest.mark.parametrize(("match", "problem"), [
    ({**VALID, "wher": "$.X"}, f"match.wher: unknown key {KNOWN}"),
    ({**VALID, "where": "$.Auth["}, "match.where: invalid JSONPath '$.Auth[': Parse error near "
     "the end of string!"),
    ({**VALID, "where": "$.A#"}, "match.where: invalid JSONPath '$.A#': Error on line 1, col 3: "
     "Unexpected character: #"),
    ({**VALID, "where": ["$.A"]}, "match.where: must be a JSONPath expression string, e.g. "
     "'$.AuthType'"),
    ({**VALID, "when": "missing"},
     "match.when: must be one of present, absent, equals, not_equals"),
    ({"resource_type": "AWS::SNS::Topic", "when": "absent"},
     "match.when: needs a where expression to test"),
    ({key: value for key, value in VALID.items() if key != "equals"},
     "match.equals: required when when is equals"),
    ({**VALID, "when": "present"}, "match.equals: only used when when is equals"),
    ({**VALID, "equals": {"a": 1}}, "match.equals: must be a scalar (a string, number or boolean) "
     "or a list of scalars"),
    ({**VALID, "equals": []}, "match.equals: must be a scalar (a string, number or boolean) "
     "or a list of scalars"),
    ({**NO_EQUALS, "when": "present", "default": 1},
     "match.default: only used when when is equals or not_equals"),
    ({**VALID, "default": [1]}, "match.default: must be a scalar (a string, number or boolean)"),
    ({**NO_EQUALS, "when": "not_equals"}, "match.not_equals: required when when is not_equals"),
    ({"resource_type": "AWS::SNS::Topic", "all": []},
     "match.all: must be a list of conditions (mappings with where, when, ...)"),
    ({"resource_type": "AWS::SNS::Topic", "all": [{"where": "$.A"}], "where": "$.B"},
     "match.where: goes inside each condition of all, not beside it"),
    ({"resource_type": "AWS::SNS::Topic", "all": [{"where": "$.A"}, {}]},
     "match.all[1].where: required in each condition of all"),
    ({"resource_type": "AWS::SNS::Topic", "all": [{"where": "$.A", "at": "x"}]},
     "match.all[0].at: unknown key (known: where, when, equals, not_equals, default)"),
    ({"resource_type": "AWS::SNS::Topic", "all": [{"where": "$.A", "when": "not_equals",
                                                    "not_equals": {"x": 1}}]},
     "match.all[0].not_equals: must be a scalar (a string, number or boolean) or a list of "
     "scalars"),
    ({**VALID, "at": ""}, "match.at: must be a non-empty string"),
    ({**VALID, "message": 3}, "match.message: must be a non-empty string"),
])
def test_each_problem_names_its_key(match, problem):
    assert validate_match(match) == [problem]


@pytest.mark.parametrize("resource_type", [
    None, "", "Lambda", "AWS::", "AWS Lambda Url", [], ["AWS::SNS::Topic", 3], {"a": 1},
])
def test_resource_type_must_be_a_type_or_a_list_of_types(resource_type):
    match = {**VALID, "resource_type": resource_type}
    if resource_type is None:
        del match["resource_type"]
    assert validate_match(match) == ["match.resource_type: must be a CloudFormation type string "
                                     "or a list of them (e.g. AWS::Lambda::Url)"]


@pytest.mark.parametrize("match", [None, "AWS::SNS::Topic", ["AWS::SNS::Topic"]])
def test_match_must_be_a_mapping(match):
    assert validate_match(match) == [
        "match: must be a mapping with the keys resource_type, where, when, equals, not_equals, "
        "default, all, at, message"
    ]


def test_every_problem_is_reported_at_once():
    problems = validate_match({"resource_type": 5, "wher": "$.X", "when": "sometimes"})
    assert [p.split(":")[0] for p in problems] == [
        "match.wher", "match.resource_type", "match.when"
    ]


@pytest.mark.parametrize(("rule", "problem"), [
    ("match: {resource_type: AWS::SQS::Queue, where: '$[[['}\n", "match.where: invalid JSONPath"),
    ("match: {resource_type: AWS::SQS::Queue, wher: '$.X'}\n", "match.wher: unknown key"),
])
def test_a_broken_user_rule_stops_the_run_with_exit_2_naming_file_and_key(tmp_path, rule,
                                                                           problem):
    from .conftest import EXAMPLE, invoke

    (tmp_path / "WU0001.yaml").write_text(f"id: WU0001\nname: x\nsummary: x\n{rule}")
    result = invoke("--rules-dir", str(tmp_path), str(EXAMPLE))
    assert result.exit_code == 2
    assert f"{tmp_path / 'WU0001.yaml'}: {problem}" in result.output
    assert "WA3002" not in result.output  # nothing was linted


def _builtin_expressions() -> list[str]:
    found = {"$.Listeners[*].Protocol", "$.A[0].B", "$..B", "$.A..B[*]", "$.A[*][*]", "$.A[9]"}
    for rule in load_catalog().values():
        for condition in (rule.match or {}).get("all") or [rule.match or {}]:
            if condition.get("where"):
                found.add(condition["where"])
    return sorted(found)


def test_simple_paths_are_found_as_jsonpath_ng_finds_them():
    """`find` walks simple paths itself; it must agree with jsonpath-ng on every fixture."""
    from awslint_rules.checks.declarative import _compiled, _datum_path, find
    from awslint_rules.load import NotATemplate, ParseError, load_document

    from .conftest import FIXTURES

    samples = [{"A": [{"B": 1}, {"C": {"B": [2, 3]}}], "B": {"B": 4}, "Listeners": "x"},
               {"A": {"x": [1, {"B": None}]}, "Listeners": [{"Protocol": "HTTP"}, 3]}]
    for path in sorted(FIXTURES.glob("*/*.yaml")):
        try:
            data = load_document(str(path), path.read_bytes()).data
        except (NotATemplate, ParseError):
            continue  # the parse-error fixtures
        resources = data.get("Resources") if isinstance(data, dict) else None
        for resource in (resources or {}).values() if isinstance(resources, dict) else ():
            if isinstance(resource, dict) and isinstance(resource.get("Properties"), dict):
                samples.append(resource["Properties"])
    assert len(samples) > 200
    for expression in _builtin_expressions():
        for sample in samples:
            expected = [(d.value, _datum_path(d)) for d in _compiled(expression).find(sample)]
            assert find(expression, sample) == expected, (expression, sample)


def test_an_unrelated_fn_if_on_a_mapping_does_not_split_a_finding():
    """WA8001 reports every Classic Load Balancer once, whatever its listeners' `Fn::If`."""
    raw = b"""Conditions:
  Tls: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      AvailabilityZones: !GetAZs ""
      Policies: !If [Tls, [{PolicyName: p, PolicyType: t}], !Ref AWS::NoValue]
      Listeners:
        - {LoadBalancerPort: "80", InstancePort: "80", Protocol: HTTP}
"""
    findings = lint_bytes("t.yaml", raw, Settings(load_catalog())).findings
    assert [(f.rule, f.message.endswith("is true)") or f.message.endswith("is false)"))
            for f in findings if f.rule == "WA8001"] == [("WA8001", False)]
