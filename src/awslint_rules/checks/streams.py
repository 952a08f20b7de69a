"""Kinesis and DynamoDB stream mappings: failure destinations and bounded retries."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit
from ..graph import INVOKES, POLL, STREAM_ORIGINS, Edge
from ..intrinsics import NO_VALUE, Branch, as_number, combine, within
from ..model import Model
from ..template import Template
from . import at_edge

ORIGIN_NAMES = {"kinesis": "Kinesis", "dynamodb": "DynamoDB stream"}
MAPPING = "AWS::Lambda::EventSourceMapping"


def _stream_mappings(m: Model) -> Iterator[Edge]:
    for edge in m.graph.of_kind(INVOKES, POLL):
        if edge.origin in STREAM_ORIGINS:
            yield edge


def _describe(edge: Edge) -> str:
    if edge.sam_event:
        return (f"{ORIGIN_NAMES[edge.origin or '']} event '{edge.path[-1]}' of function "
                f"'{edge.owner}'")
    return f"{ORIGIN_NAMES[edge.origin or '']} event source mapping '{edge.path[-1]}'"


def stream_mapping_without_failure_destination(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in _stream_mappings(m):
        keys = ("DestinationConfig", "OnFailure", "Destination")
        for absent in within(t.absent_when(t.prop_at(edge.settings), keys), edge.conditions):
            yield rule.hit(
                f"{_describe(edge)} has no on-failure destination (DestinationConfig.OnFailure): "
                "records Lambda discards once the retries or the maximum record age run out "
                "leave no trace",
                at_edge(edge, ""),
                edge.owner,
                when=absent.conditions,
            )


def _setting(t: Template, edge: Edge, key: str) -> list[Branch]:
    """The mapping's setting on each branch, the AWS default where it is absent."""
    value = t.prop_at((*edge.settings, key))
    default = t.default(MAPPING, key)
    return [
        Branch(default if b.value is NO_VALUE or b.value is None else b.value, b.conditions)
        for b in (t.branches(value) if value is not None else [Branch(None)])
    ]


def stream_mapping_unbounded_retries(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in _stream_mappings(m):
        for (attempts, max_age, _), when in combine(
            _setting(t, edge, "MaximumRetryAttempts"),
            _setting(t, edge, "MaximumRecordAgeInSeconds"),
            [Branch(None, edge.conditions)],
        ):
            if as_number(attempts) == -1 and as_number(max_age) == -1:
                yield rule.hit(
                    f"{_describe(edge)} retries a failing batch without limit "
                    "(MaximumRetryAttempts and MaximumRecordAgeInSeconds both unset or -1): one "
                    "poison record blocks its shard until the record leaves the stream",
                    at_edge(edge, ""),
                    edge.owner,
                    when=when,
                )
