"""User rule folders: declarative `match:` rules with jsonpath-ng (see rules/README.md)."""

from __future__ import annotations

import pytest

from awslint_rules.catalog import CatalogError, load_catalog
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


def test_a_user_rule_cannot_reuse_a_builtin_id(tmp_path):
    (tmp_path / "WA3002.yaml").write_text(RULE.replace("WU0001", "WA3002"))
    with pytest.raises(CatalogError, match="defined twice"):
        load_catalog([str(tmp_path)])


def test_level_must_match_the_id(tmp_path):
    (tmp_path / "EU0001.yaml").write_text(RULE.replace("WU0001", "EU0001"))
    with pytest.raises(CatalogError, match="level"):
        load_catalog([str(tmp_path)])
