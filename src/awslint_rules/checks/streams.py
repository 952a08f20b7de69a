"""Kinesis and DynamoDB streams: mappings' failure destinations, bounded retries and batch
bisection, stream ARNs of tables without a stream, enhanced fan-out consumers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import CONTAINS, INVOKES, POLL, READS, STREAM_ORIGINS, Edge
from ..intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Branch,
    Conditions,
    as_number,
    combine,
    merge_conditions,
    within,
)
from ..load import Path
from ..model import Model
from ..template import Template
from . import at_edge

ORIGIN_NAMES = {"kinesis": "Kinesis", "dynamodb": "DynamoDB stream"}
STREAM_NAMES = {"kinesis": "Kinesis stream", "dynamodb": "DynamoDB stream"}
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
    for edge, key in _stream_pipes(m):
        keys = (key, "DeadLetterConfig", "Arn")
        for absent in within(t.absent_when(t.prop_at(edge.settings), keys), edge.conditions):
            yield rule.hit(
                f"Pipe '{edge.owner}' reads a {STREAM_NAMES[PIPE_SOURCES[key]]} without a "
                f"dead-letter queue (SourceParameters.{key}.DeadLetterConfig): records the pipe "
                "discards once the retries or the maximum record age run out leave no trace",
                _at_pipe_source(t, edge, key),
                edge.owner,
                when=absent.conditions,
            )


# Pipe source parameters of stream sources -> the origin they read.
PIPE_SOURCES = {"KinesisStreamParameters": "kinesis", "DynamoDBStreamParameters": "dynamodb"}
PIPE = "AWS::Pipes::Pipe"


def _stream_pipes(m: Model) -> Iterator[tuple[Edge, str]]:
    """(reads edge, source parameters key) of each pipe whose source is a stream: known from
    the source itself or, when that cannot be told, from the stream parameters it is given."""
    t = m.template
    for edge in m.graph.of_kind(READS):
        if t.resources[edge.owner].type != PIPE:
            continue
        given = [key for key in PIPE_SOURCES if t.prop_at((*edge.settings, key)) is not None]
        keys = [key for key, origin in PIPE_SOURCES.items() if origin == edge.origin]
        if edge.origin == "unknown" and len(given) == 1:
            keys = given
        for key in keys:
            yield edge, key


def _at_pipe_source(t: Template, edge: Edge, key: str) -> Place:
    """The pipe's stream parameters (by key) when it has them, else its `Source`."""
    parameters = (*edge.settings, key)
    return Place(parameters, key=True) if t.prop_at(parameters) is not None else Place(edge.path)


def _pipe_setting(t: Template, edge: Edge, key: str, setting: str) -> list[Branch]:
    """A pipe's stream setting on each branch, the AWS default where it is absent."""
    default = t.default(PIPE, f"SourceParameters.{key}.{setting}")
    return [Branch(default if b.value is NO_VALUE or b.value is None else b.value, b.conditions)
            for b in t.values_along(t.prop_at(edge.settings), (key, setting))]


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
    for edge, key in _stream_pipes(m):
        for (attempts, max_age, _), when in combine(
            _pipe_setting(t, edge, key, "MaximumRetryAttempts"),
            _pipe_setting(t, edge, key, "MaximumRecordAgeInSeconds"),
            [Branch(None, edge.conditions)],
        ):
            if as_number(attempts) == -1 and as_number(max_age) == -1:
                yield rule.hit(
                    f"Pipe '{edge.owner}' retries a failing batch without limit "
                    f"(SourceParameters.{key}.MaximumRetryAttempts and "
                    "MaximumRecordAgeInSeconds both unset or -1): one poison record blocks its "
                    "shard until the record leaves the stream",
                    _at_pipe_source(t, edge, key),
                    edge.owner,
                    when=when,
                )


TABLES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
_STREAM_ARN_IN_SUB = re.compile(r"\$\{([A-Za-z0-9]+)\.StreamArn\}")


def _streamless_tables(t: Template) -> dict[str, list[Conditions]]:
    """Table logical id -> the condition sets under which it has no StreamSpecification."""
    streamless = {}
    for table in t.of_type(*TABLES):
        absent = t.absent_when(t.prop(table, "StreamSpecification"))
        cases = [merged for b in absent
                 if (merged := merge_conditions(b.conditions, table.conditions)) is not None]
        if cases:
            streamless[table.logical_id] = cases
    return streamless


def _stream_arn_uses(value: Any, path: Path, conditions: Conditions,
                     ) -> Iterator[tuple[str, Path, Conditions]]:
    """(table, path, conditions) for each `StreamArn` attribute read under `value`: `Fn::GetAtt`
    in both forms and `${Table.StreamArn}` in `Fn::Sub`; a side of `Fn::If` adds its condition."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _stream_arn_uses(item, (*path, index), conditions)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        (name, argument), = value.items()
        if name == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            if isinstance(parts, list) and len(parts) == 2 and parts[1] == "StreamArn" \
                    and isinstance(parts[0], str):
                yield parts[0], path, conditions
            return
        if name == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            for table in _STREAM_ARN_IN_SUB.findall(text if isinstance(text, str) else ""):
                yield table, path, conditions
        if name == "Fn::If" and isinstance(argument, list) and len(argument) == 3 \
                and isinstance(argument[0], str):
            for truth, index in ((True, 1), (False, 2)):
                merged = merge_conditions(conditions, ((argument[0], truth),))
                if merged is not None:
                    yield from _stream_arn_uses(argument[index], (*path, name, index), merged)
            return
    for key, item in value.items():
        yield from _stream_arn_uses(item, (*path, key), conditions)


def _template_stream_arn_uses(t: Template) -> Iterator[tuple[str, Path, Conditions, str | None]]:
    """Every `StreamArn` read in resources (under their `Condition`) and outputs."""
    for resource in t.resources.values():
        if resource.created_by is None:
            for use in _stream_arn_uses(resource.properties, resource.properties_path,
                                        resource.conditions):
                yield (*use, resource.logical_id)
    outputs = t.document.data.get("Outputs")
    for name, output in (outputs.items() if isinstance(outputs, dict) else ()):
        condition = output.get("Condition") if isinstance(output, dict) else None
        when: Conditions = ((condition, True),) if isinstance(condition, str) else ()
        for use in _stream_arn_uses(output, ("Outputs", name), when):
            yield (*use, None)


def stream_arn_without_stream(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    streamless = _streamless_tables(t)
    if not streamless:
        return
    for table, path, conditions, owner in _template_stream_arn_uses(t):
        for case in streamless.get(table, ()):
            when = merge_conditions(case, conditions)
            if when is None:
                continue
            yield rule.hit(
                f"StreamArn of DynamoDB table '{table}' is read here, but the table has no "
                "StreamSpecification, so it has no stream: the attribute is only available "
                "with one, and no consumer can read the table's changes. Add "
                f"StreamSpecification: {{StreamViewType: NEW_AND_OLD_IMAGES}} (or the view the "
                f"consumer needs) to '{table}'",
                Place(path),
                owner,
                [Place(t.resources[table].path, key=True, message="the table")],
                when,
            )


def kinesis_consumer_limit(m: Model, rule: Rule) -> Iterator[Hit]:
    limit = rule.option("max_consumers")
    consumers: dict[str, list[Edge]] = {}
    for edge in m.graph.of_kind(CONTAINS):
        owner = m.template.resources[edge.owner]
        if edge.source is not None and owner.type == "AWS::Kinesis::StreamConsumer":
            consumers.setdefault(edge.source, []).append(edge)
    for stream, edges in consumers.items():
        if len(edges) <= limit:
            continue
        when = merge_conditions(*(edge.conditions for edge in edges))
        if when is None:
            continue  # they cannot all exist at once: no certain count
        yield rule.hit(
            f"{len(edges)} enhanced fan-out consumers (AWS::Kinesis::StreamConsumer) are "
            f"registered on stream '{stream}', more than the {limit} a stream accepts: "
            f"registering consumer '{edges[limit].owner}' fails and the stack rolls back. "
            "Share consumers between applications, or read with shared-throughput "
            "(GetRecords) consumers",
            Place(edges[limit].path),
            edges[limit].owner,
            [Place(m.template.resources[stream].path, key=True, message="the stream"),
             *(Place(e.path, message="another consumer") for e in edges[:limit])],
            when,
        )


def stream_mapping_without_bisect(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in _stream_mappings(m):
        written = t.prop_at((*edge.settings, "BisectBatchOnFunctionError"))
        for (bisect, _), when in combine(_setting(t, edge, "BisectBatchOnFunctionError"),
                                         [Branch(None, edge.conditions)]):
            if str(bisect).lower() == "true" or bisect is UNKNOWN:
                continue
            state = "false" if written is not None else "not set (default false)"
            yield rule.hit(
                f"{_describe(edge)} has BisectBatchOnFunctionError {state}: when the function "
                "fails, Lambda retries the whole batch, so one bad record holds back (and, once "
                "the retries run out, discards) every record of its batch. Set "
                "BisectBatchOnFunctionError: true to split a failing batch and isolate the bad "
                "record",
                Place(written.path) if written is not None else at_edge(edge, ""),
                edge.owner,
                when=when,
            )


STREAM = "AWS::Kinesis::Stream"


def kinesis_provisioned_shards(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for stream in t.of_type(STREAM):
        mode = t.values_along(t.prop(stream, "StreamModeDetails"), ("StreamMode",))
        shards = t.prop(stream, "ShardCount")
        for branch in within(mode, stream.conditions):
            explicit = isinstance(branch.value, str) and branch.value.upper() == "PROVISIONED"
            implied = branch.value is NO_VALUE and shards is not None
            if not (explicit or implied):
                continue
            written = t.prop(stream, "StreamModeDetails", "StreamMode") if explicit else shards
            how = "StreamMode PROVISIONED" if explicit else "ShardCount and no StreamModeDetails"
            yield rule.hit(
                f"Kinesis stream '{stream.logical_id}' is in provisioned mode ({how}): its "
                "shards do not scale with the traffic, so someone has to reshard it as load "
                "grows (or it throttles producers) and shrinks (or it bills idle shards). Use "
                "StreamModeDetails: {StreamMode: ON_DEMAND} unless the traffic is steady and "
                "known",
                Place(written.path) if written is not None else Place(stream.path, key=True),
                stream.logical_id,
                when=branch.conditions,
            )


def kinesis_without_encryption(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for stream in t.of_type(STREAM):
        for branch in within(t.absent_when(t.prop(stream, "StreamEncryption")),
                             stream.conditions):
            yield rule.hit(
                f"Kinesis stream '{stream.logical_id}' has no StreamEncryption: its records are "
                "stored unencrypted. Add StreamEncryption: {EncryptionType: KMS, KeyId: "
                "alias/aws/kinesis} (or a customer managed key)",
                Place(stream.path, key=True),
                stream.logical_id,
                when=branch.conditions,
            )
