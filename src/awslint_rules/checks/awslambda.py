"""Lambda functions: how they are invoked and what happens when an invocation fails."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import ASYNC, DEAD_LETTERS
from ..template import SAM_FUNCTION, Template, Value
from . import at_edge


def _dead_letter_setting(t: Template, function_id: str) -> Value | None:
    function = t.resources[function_id]
    if function.type == SAM_FUNCTION:
        return t.prop(function, "DeadLetterQueue")
    return t.prop(function, "DeadLetterConfig", "TargetArn")


def _has_on_failure_destination(t: Template, function_id: str) -> bool:
    return any(
        edge.service == "on-failure" for edge in t.graph.out_of(function_id, DEAD_LETTERS)
    )


def async_function_without_failure_destination(t: Template, rule: Rule) -> Iterator[Hit]:
    for function_id, edges in t.graph.invoked_functions().items():
        async_edges = [e for e in edges if e.mode == ASYNC]
        if not async_edges or _has_on_failure_destination(t, function_id):
            continue
        sources = ", ".join(sorted({e.service for e in async_edges}))
        for absent in t.absent_when(_dead_letter_setting(t, function_id)):
            yield rule.hit(
                f"Function '{function_id}' is invoked asynchronously ({sources}) but has neither "
                "a dead-letter queue nor an on-failure destination: events that still fail after "
                "Lambda's retries are dropped",
                Place(t.resources[function_id].path, key=True),
                function_id,
                [at_edge(e, f"asynchronous invocation ({e.service})") for e in async_edges],
                absent.conditions,
            )
