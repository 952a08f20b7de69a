"""Lambda functions: how they are invoked and what happens when an invocation fails."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import ASYNC, DEAD_LETTERS
from ..intrinsics import NO_VALUE, Branch, Conditions, combine
from ..template import SAM_FUNCTION, Template
from . import at_edge

ASYNC_SOURCES = {
    "s3": "S3 notification",
    "sns": "SNS subscription",
    "events": "EventBridge rule",
    "scheduler": "EventBridge Scheduler schedule",
    "logs": "CloudWatch Logs subscription filter",
    "iot": "IoT rule",
}


def _source_name(service: str) -> str:
    return ASYNC_SOURCES.get(service, service)


def _dead_letter_absent(t: Template, function_id: str) -> list[Conditions]:
    """The condition sets under which the function has no dead-letter queue target.

    `DeadLetterConfig` (SAM `DeadLetterQueue`) and its `TargetArn` may each be an `Fn::If` with
    `AWS::NoValue` on one side; a value that cannot be resolved counts as set (unknown never
    produces a finding).
    """
    function = t.resources[function_id]
    key = "DeadLetterQueue" if function.type == SAM_FUNCTION else "DeadLetterConfig"
    setting = t.prop(function, key)
    if setting is None:
        return [()]
    absent: list[Conditions] = []
    for branch in t.branches(setting):
        if branch.value is NO_VALUE or branch.value is None:
            absent.append(branch.conditions)
        elif isinstance(branch.value, dict):
            target = t.branches(branch.value.get("TargetArn"))
            for (_, value), conditions in combine([Branch(None, branch.conditions)], target):
                if value is NO_VALUE or (value is None and "TargetArn" not in branch.value):
                    absent.append(conditions)
    return absent


def _has_on_failure_destination(t: Template, function_id: str) -> bool:
    return any(
        edge.service == "on-failure" for edge in t.graph.out_of(function_id, DEAD_LETTERS)
    )


def async_function_without_failure_destination(t: Template, rule: Rule) -> Iterator[Hit]:
    for function_id, edges in t.graph.invoked_functions().items():
        async_edges = [e for e in edges if e.mode == ASYNC]
        if not async_edges or _has_on_failure_destination(t, function_id):
            continue
        sources = ", ".join(sorted({_source_name(e.service) for e in async_edges}))
        dlq = "DeadLetterQueue" if t.resources[function_id].type == SAM_FUNCTION else (
            "DeadLetterConfig"
        )
        for conditions in _dead_letter_absent(t, function_id):
            yield rule.hit(
                f"Function '{function_id}' is invoked asynchronously ({sources}) but has neither "
                f"a dead-letter queue ({dlq}) nor an on-failure destination (EventInvokeConfig): "
                "events that still fail after Lambda's retries are discarded",
                Place(t.resources[function_id].path, key=True),
                function_id,
                [at_edge(e, f"asynchronous invocation by {_source_name(e.service)}")
                 for e in async_edges],
                conditions,
            )
