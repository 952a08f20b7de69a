"""Kinesis and DynamoDB stream mappings: failure destinations and bounded retries."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit
from ..graph import INVOKES, POLL, STREAM_SERVICES, Edge
from ..intrinsics import NO_VALUE, as_number, combine
from ..template import Template
from . import at_edge

SERVICE_NAMES = {"kinesis": "Kinesis", "dynamodb": "DynamoDB stream"}


def _stream_mappings(t: Template) -> Iterator[Edge]:
    for edge in t.graph.of_kind(INVOKES, POLL):
        if edge.service in STREAM_SERVICES:
            yield edge


def _describe(edge: Edge) -> str:
    if edge.sam:
        return (f"{SERVICE_NAMES[edge.service]} event '{edge.path[-1]}' of function "
                f"'{edge.owner}'")
    return f"{SERVICE_NAMES[edge.service]} event source mapping '{edge.path[-1]}'"


def stream_mapping_without_failure_destination(t: Template, rule: Rule) -> Iterator[Hit]:
    for edge in _stream_mappings(t):
        keys = ("DestinationConfig", "OnFailure", "Destination")
        for absent in t.absent_when(t.prop_at(edge.settings), keys):
            yield rule.hit(
                f"{_describe(edge)} has no on-failure destination (DestinationConfig.OnFailure): "
                "records Lambda discards once the retries or the maximum record age run out "
                "leave no trace",
                at_edge(edge, ""),
                edge.owner,
                when=absent.conditions,
            )


def stream_mapping_unbounded_retries(t: Template, rule: Rule) -> Iterator[Hit]:
    for edge in _stream_mappings(t):
        retries = t.prop_at((*edge.settings, "MaximumRetryAttempts"))
        age = t.prop_at((*edge.settings, "MaximumRecordAgeInSeconds"))
        for (attempts, max_age), when in combine(
            t.branches(retries if retries is not None else -1),
            t.branches(age if age is not None else -1),
        ):
            if _unlimited(attempts) and _unlimited(max_age):
                yield rule.hit(
                    f"{_describe(edge)} retries a failing batch without limit "
                    "(MaximumRetryAttempts and MaximumRecordAgeInSeconds both unset or -1): one "
                    "poison record blocks its shard until the record leaves the stream",
                    at_edge(edge, ""),
                    edge.owner,
                    when=when,
                )


def _unlimited(value: object) -> bool:
    return value is None or value is NO_VALUE or as_number(value) == -1
