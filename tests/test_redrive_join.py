"""A RedrivePolicy built with `Fn::Join` (or a `Sub` with a variable) names its dead-letter queue
like one written as a mapping."""

from __future__ import annotations

from awslint_rules.graph import DEAD_LETTERS, build_graph, join_as_sub
from awslint_rules.load import load_document
from awslint_rules.template import Template


def test_join_as_sub_keeps_literal_text_and_names_each_intrinsic():
    arn = {"Fn::GetAtt": ["Dlq", "Arn"]}
    assert join_as_sub(["", ['{"a":"', arn, '","b":"${x}"}']]) == [
        '{"a":"${Join0}","b":"${!x}"}', {"Join0": arn}]
    assert join_as_sub("not a join") is None


def test_redrive_policies_built_with_join_or_sub_variables_are_dead_letter_edges():
    template = Template(load_document("t.yaml", b"""\
Resources:
  Dlq: {Type: AWS::SQS::Queue}
  Joined:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        Fn::Join: ["", ['{"deadLetterTargetArn":"', !GetAtt Dlq.Arn, '","maxReceiveCount":3}']]
  Substituted:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: !Sub
        - '{"deadLetterTargetArn":"${Target}","maxReceiveCount":3}'
        - Target: !GetAtt Dlq.Arn
"""), {})
    edges = sorted((e.source, e.target) for e in build_graph(template).of_kind(DEAD_LETTERS))
    assert edges == [("Joined", "Dlq"), ("Substituted", "Dlq")]
