"""Load stage: exact locations, long-form intrinsics, and a clear answer for bad input."""

from __future__ import annotations

import pytest

from awslint_rules.load import NotATemplate, ParseError, Span, load_document

from .conftest import deadline

TEMPLATE = b"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Visibility
      Arn: !GetAtt Other.Arn
      Name: !Sub "${AWS::StackName}-q"
      Maybe: !If [IsProd, 60, !Ref AWS::NoValue]
"""


def test_short_form_tags_become_long_form():
    props = load_document("t.yaml", TEMPLATE).data["Resources"]["Queue"]["Properties"]
    assert props["VisibilityTimeout"] == {"Ref": "Visibility"}
    assert props["Arn"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert props["Maybe"] == {"Fn::If": ["IsProd", 60, {"Ref": "AWS::NoValue"}]}


def test_locations_are_one_based_and_end_exclusive():
    document = load_document("t.yaml", TEMPLATE)
    path = ("Resources", "Queue", "Properties", "Maybe")
    assert document.locate(path) == Span(9, 14, 9, 49)
    assert document.locate(("Resources", "Queue"), key=True) == Span(3, 3, 3, 8)
    assert document.locate(("Resources", "Queue", "Properties", "Missing")) == Span(6, 7, 10, 1)


def test_json_locations():
    raw = b'{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n' \
          b'    "Q": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 20}}\n  }\n}\n'
    document = load_document("t.json", raw)
    assert document.locate(("Resources", "Q", "Properties", "VisibilityTimeout")) == Span(
        4, 74, 4, 76
    )


def test_json_with_tabs_keeps_columns():
    raw = b'{\n\t"Resources": {\n\t\t"Q": {"Type": "AWS::SQS::Queue"}\n\t}\n}\n'
    document = load_document("t.json", raw)
    assert document.locate(("Resources", "Q", "Type")) == Span(3, 17, 3, 34)


@pytest.mark.parametrize(
    ("raw", "message", "line"),
    [
        (b"AWSTemplateFormatVersion: x\nResources:\n  A: {Type: AWS::SQS::Queue}\n  A: {}\n",
         "duplicate key 'A' (first at line 3)", 4),
        (b"AWSTemplateFormatVersion: x\nResources:\n  A: [\n", "invalid YAML", 4),
        (b"AWSTemplateFormatVersion: x\nResources: 5\n", "not a number", 2),
        (b'{"AWSTemplateFormatVersion": "x",\n "Resources": {"A": {"Type" "x"}}}',
         "invalid JSON", 2),
        (b"AWSTemplateFormatVersion: x\nResources:\n  A: !Ref &a [*a]\n", "recursive alias", 3),
    ],
)
def test_parse_errors_have_the_parsers_location(raw, message, line):
    with pytest.raises(ParseError) as error:
        load_document("t.yaml", raw)
    assert message in error.value.message
    assert error.value.span.line == line


@pytest.mark.parametrize(
    "raw",
    [
        b"name: ci\non:\n  push: {}\njobs: {}\n",
        b"services:\n  web:\n    image: nginx\n",
        b"- just\n- a list\n",
        b"key: [unclosed\n",
        b"",
        b"Resources:\n  Thing:\n    Type: custom\n",
    ],
)
def test_non_templates_are_skipped(raw):
    with pytest.raises(NotATemplate):
        load_document("x.yaml", raw)


def test_invalid_utf8_in_a_template_is_a_parse_error_with_location():
    raw = b"AWSTemplateFormatVersion: x\nResources:\n  A:\n    Type: AWS::SQS::Queue\n  \xff: 1\n"
    with pytest.raises(ParseError) as error:
        load_document("t.yaml", raw)
    assert "UTF-8" in error.value.message and error.value.span.line == 5


def test_alias_bomb_is_refused_quickly():
    lines = ["AWSTemplateFormatVersion: x", "Resources: {A: {Type: AWS::SQS::Queue}}",
             "Metadata:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    with deadline(), pytest.raises(ParseError, match="alias"):  # refused, not expanded
        load_document("bomb.yaml", "\n".join(lines).encode())


def test_ten_thousand_levels_of_nesting_is_a_parse_error():
    raw = b"AWSTemplateFormatVersion: x\nResources: {A: {Type: AWS::SQS::Queue}}\nMetadata: "
    with pytest.raises(ParseError, match="nest"):
        load_document("deep.yaml", raw + b"[" * 10_000 + b"]" * 10_000 + b"\n")


def test_merge_keys_are_merged_and_explicit_keys_win():
    raw = (b"AWSTemplateFormatVersion: x\nResources:\n  A: &base\n    Type: AWS::SQS::Queue\n"
           b"    Properties: {DelaySeconds: 1}\n"
           b"  B:\n    <<: *base\n    Properties: {DelaySeconds: 2}\n")
    resources = load_document("t.yaml", raw).data["Resources"]
    assert resources["B"] == {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 2}}


def test_a_written_key_is_located_over_a_merged_one():
    raw = (b"AWSTemplateFormatVersion: x\nMetadata:\n  Defaults: &defaults\n    Timeout: 3\n"
           b"Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n"
           b"      <<: *defaults\n      Timeout: 60\n")
    document = load_document("t.yaml", raw)
    assert document.data["Resources"]["A"]["Properties"] == {"Timeout": 60}
    assert document.locate(("Resources", "A", "Properties", "Timeout")) == Span(10, 16, 10, 18)
