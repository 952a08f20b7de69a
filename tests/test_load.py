"""Load stage: exact locations, long-form intrinsics, and a clear answer for bad input."""

from __future__ import annotations

import pytest

from awslint_rules.load import (
    Duplicate,
    NotATemplate,
    ParseError,
    Span,
    duplicate_message,
    load_document,
)

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


# -- duplicate keys (EA0004): the last one wins, as in CloudFormation, and each is listed ---------

DUPLICATES = b"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Timeout: 3
      MemorySize: 128
      Timeout: 60
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Timeout: 900
      Timeout: 45
"""


def test_a_duplicate_key_keeps_the_last_value_and_is_listed():
    document = load_document("t.yaml", DUPLICATES)
    assert document.data["Resources"]["Fn"] == {
        "Type": "AWS::Serverless::Function", "Properties": {"Timeout": 45}}
    assert document.duplicates == (
        Duplicate("Timeout", ("Resources", "Fn", "Properties"),
                  later=Span(8, 7, 8, 14), earlier=Span(6, 7, 6, 14)),
        Duplicate("Fn", ("Resources",), later=Span(9, 3, 9, 5), earlier=Span(3, 3, 3, 5)),
        # three times: each later one against the one before it
        Duplicate("Timeout", ("Resources", "Fn", "Properties"),
                  later=Span(13, 7, 13, 14), earlier=Span(12, 7, 12, 14)),
        Duplicate("Timeout", ("Resources", "Fn", "Properties"),
                  later=Span(14, 7, 14, 14), earlier=Span(13, 7, 13, 14)),
    )


def test_findings_on_a_duplicated_key_point_at_the_winning_one():
    document = load_document("t.yaml", DUPLICATES)
    assert document.locate(("Resources", "Fn"), key=True) == Span(9, 3, 9, 5)
    assert document.locate(("Resources", "Fn", "Type")) == Span(10, 11, 10, 36)
    timeout = ("Resources", "Fn", "Properties", "Timeout")
    assert document.locate(timeout, key=True) == Span(14, 7, 14, 14)
    assert document.locate(timeout) == Span(14, 16, 14, 18)
    # a key of the ignored mapping is not found: the nearest existing ancestor is
    assert document.locate(("Resources", "Fn", "Properties", "MemorySize")) == Span(12, 7, 15, 1)


def test_duplicate_keys_in_json_keep_the_last_value_and_are_listed():
    raw = (b'{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n'
           b'    "Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1}},\n'
           b'    "Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5,'
           b' "DelaySeconds": 9}}\n  }\n}\n')
    document = load_document("t.json", raw)
    assert document.data["Resources"]["Q"]["Properties"] == {"DelaySeconds": 9}
    assert document.duplicates == (
        Duplicate("Q", ("Resources",), later=Span(5, 5, 5, 8), earlier=Span(4, 5, 4, 8)),
        Duplicate("DelaySeconds", ("Resources", "Q", "Properties"),
                  later=Span(5, 72, 5, 86), earlier=Span(5, 53, 5, 67)),
    )
    assert document.locate(("Resources", "Q", "Properties", "DelaySeconds")) == Span(
        5, 88, 5, 89)


def test_duplicate_keys_in_json_that_yaml_refuses_are_listed_too():
    """Tabs make the YAML parser refuse the file; the JSON fallback keeps the duplicates."""
    raw = (b'{\n\t"AWSTemplateFormatVersion": "2010-09-09",\n\t"Resources": {\n'
           b'\t\t"Q": {"Type": "AWS::SQS::Queue"},\n\t\t"Q": {"Type": "AWS::SNS::Topic"}\n\t}\n}\n')
    document = load_document("t.json", raw)
    assert document.data["Resources"] == {"Q": {"Type": "AWS::SNS::Topic"}}
    assert document.duplicates == (
        Duplicate("Q", ("Resources",), later=Span(5, 3, 5, 6), earlier=Span(4, 3, 4, 6)),)
    assert document.locate(("Resources", "Q", "Type")) == Span(5, 17, 5, 34)


def test_a_template_without_duplicates_has_none():
    assert load_document("t.yaml", TEMPLATE).duplicates == ()


def test_a_key_written_over_a_merged_one_is_not_a_duplicate():
    raw = (b"AWSTemplateFormatVersion: x\nMetadata:\n  Defaults: &defaults\n    Timeout: 3\n"
           b"    Timeout: 5\n"
           b"Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n"
           b"      <<: *defaults\n      Timeout: 60\n      MemorySize: 1\n"
           b"  B:\n    Type: AWS::SQS::Queue\n    Properties:\n      <<: *defaults\n")
    document = load_document("t.yaml", raw)
    resources = document.data["Resources"]
    assert resources["A"]["Properties"] == {"Timeout": 60, "MemorySize": 1}
    # the anchored mapping keeps its last value wherever it is merged, and is reported once,
    # where it is written
    assert resources["B"]["Properties"] == {"Timeout": 5}
    assert document.locate(("Resources", "B", "Properties", "Timeout")) == Span(5, 14, 5, 15)
    assert document.duplicates == (
        Duplicate("Timeout", ("Metadata", "Defaults"),
                  later=Span(5, 5, 5, 12), earlier=Span(4, 5, 4, 12)),)


def test_duplicates_written_after_a_merge_and_inside_a_merged_mapping_are_listed():
    raw = (b"AWSTemplateFormatVersion: x\nResources:\n  A:\n    Type: AWS::SQS::Queue\n"
           b"    Properties:\n"
           b"      <<: {DelaySeconds: 1, DelaySeconds: 2, MaximumMessageSize: 1024}\n"
           b"      MaximumMessageSize: 2048\n      MaximumMessageSize: 4096\n")
    document = load_document("t.yaml", raw)
    assert document.data["Resources"]["A"]["Properties"] == {
        "DelaySeconds": 2, "MaximumMessageSize": 4096}
    properties = ("Resources", "A", "Properties")
    assert document.locate((*properties, "DelaySeconds")) == Span(6, 43, 6, 44)
    assert document.locate((*properties, "MaximumMessageSize")) == Span(8, 27, 8, 31)
    assert [(d.key, d.path, d.later.line) for d in document.duplicates] == [
        ("DelaySeconds", (*properties, "<<"), 6), ("MaximumMessageSize", properties, 8)]


def test_a_merge_source_resolves_its_own_keys_before_it_is_merged():
    """YAML's merge: a mapping's written keys win over what it merges itself, the first source
    over later ones, at any depth, as `aws cloudformation package` (AWS CLI v2, ruamel.yaml)
    resolves it. (PyYAML gives Timeout 3 here: it flattens `Mid` in place first.)"""
    raw = (b"AWSTemplateFormatVersion: x\nMetadata:\n  Base: &base {Timeout: 1, Memory: 1}\n"
           b"  Mid: &mid {<<: *base, Timeout: 2}\n  Other: &other {Timeout: 3, Extra: 3}\n"
           b"Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n"
           b"      <<: [*mid, *other]\n")
    document = load_document("t.yaml", raw)
    expected = {"Timeout": 2, "Memory": 1, "Extra": 3}
    assert document.data["Resources"]["A"]["Properties"] == expected
    properties = ("Resources", "A", "Properties")
    assert document.locate((*properties, "Timeout")).line == 4
    assert document.locate((*properties, "Memory")).line == 3
    assert document.locate((*properties, "Extra")).line == 5


def test_merge_bombs_and_merge_loops_are_refused_or_resolved_quickly():
    lines = ["AWSTemplateFormatVersion: x", "Resources: {A: {Type: AWS::SQS::Queue}}",
             "Metadata:", "  m0: &m0 {k0: 0}"]
    for level in range(1, 60):  # each merges the previous one twice: 2^59 merged pairs, 60 keys
        lines.append(f"  m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}], k{level}: 1}}")
    with deadline():
        document = load_document("merges.yaml", "\n".join(lines).encode())
        keys = len(document.data["Metadata"]["m59"])
        span = document.locate(("Metadata", "m59", "k0"))
    # (locals: on a failure pytest would print the document, whose nodes repeat 2^59 times)
    assert keys == 60
    assert span == Span(4, 16, 4, 17)
    loop = b"AWSTemplateFormatVersion: x\nResources:\n  A: &a {Type: AWS::SQS::Queue, <<: *a}\n"
    with deadline(), pytest.raises(ParseError, match="recursive alias"):
        load_document("loop.yaml", loop)


def test_a_long_chain_of_merges_is_located_without_recursion():
    lines = ["AWSTemplateFormatVersion: x", "Resources: {A: {Type: AWS::SQS::Queue}}",
             "Metadata:", "  m0: &m0 {k0: 0}"]
    for level in range(1, 1500):
        lines.append(f"  m{level}: &m{level} {{<<: *m{level - 1}}}")
    document = load_document("chain.yaml", "\n".join(lines).encode())
    span = document.locate(("Metadata", "m1499", "k0"))
    assert span == Span(4, 16, 4, 17)


def test_duplicate_message():
    duplicate = Duplicate("Timeout", ("Resources", "Fn", "Properties"),
                          later=Span(12, 7, 12, 14), earlier=Span(9, 7, 9, 14))
    assert duplicate_message(duplicate) == (
        "Duplicate key 'Timeout' in Resources/Fn/Properties: CloudFormation keeps the last value "
        "(line 12) and ignores the earlier one (line 9); cfn-lint and other strict YAML/JSON "
        "parsers reject the template")
    top = Duplicate("Resources", (), later=Span(5, 1, 5, 10), earlier=Span(2, 1, 2, 10))
    assert "in the top level:" in duplicate_message(top)
