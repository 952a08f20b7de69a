"""Lambda functions: how they are invoked and what happens when an invocation fails."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import ASYNC, DEAD_LETTERS
from ..intrinsics import Conditions
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


def _dead_letter_setting(t: Template, function_id: str) -> str:
    return "DeadLetterQueue" if t.resources[function_id].type == SAM_FUNCTION else (
        "DeadLetterConfig"
    )


def _dead_letter_absent(t: Template, function_id: str) -> list[Conditions]:
    """The condition sets under which the function has no dead-letter queue target."""
    setting = t.prop(t.resources[function_id], _dead_letter_setting(t, function_id))
    return [branch.conditions for branch in t.absent_when(setting, ("TargetArn",))]


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
        dlq = _dead_letter_setting(t, function_id)
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
