"""Lambda functions: how they are invoked and what happens when an invocation fails."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import ASYNC, DEAD_LETTERS, FUNCTION_ON_FAILURE
from ..intrinsics import Conditions, combine
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


def _unhandled_failures(t: Template, function_id: str) -> list[Conditions]:
    """The condition sets under which the function has neither a dead-letter queue nor an
    on-failure destination for its asynchronous invokes."""
    function = t.resources[function_id]
    dead_letter = t.prop(function, _dead_letter_setting(t, function_id))
    absent = [t.absent_when(dead_letter, ("TargetArn",))]
    if function.type == SAM_FUNCTION:
        invoke_config = t.prop(function, "EventInvokeConfig")
        absent.append(t.absent_when(invoke_config, ("DestinationConfig", "OnFailure")))
    configs = {
        edge.owner for edge in t.graph.out_of(function_id, DEAD_LETTERS)
        if edge.service == FUNCTION_ON_FAILURE and edge.owner != function_id
    }
    for owner in sorted(configs):  # AWS::Lambda::EventInvokeConfig resources
        settings = t.prop_at((*t.resources[owner].properties_path, "DestinationConfig"))
        absent.append(t.absent_when(settings, ("OnFailure",)))
    return [conditions for _, conditions in combine(*absent)]


def async_function_without_failure_destination(t: Template, rule: Rule) -> Iterator[Hit]:
    for function_id, edges in t.graph.invoked_functions().items():
        async_edges = [e for e in edges if e.mode == ASYNC]
        if not async_edges:
            continue
        sources = ", ".join(sorted({_source_name(e.service) for e in async_edges}))
        dlq = _dead_letter_setting(t, function_id)
        for conditions in _unhandled_failures(t, function_id):
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
