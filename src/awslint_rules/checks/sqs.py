"""SQS queues consumed by Lambda: visibility timeout and dead-letter queues."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import INVOKES, POLL, Edge
from ..intrinsics import as_number, combine
from ..template import Resource, Template
from . import at_edge, at_value, seconds

QUEUE = "AWS::SQS::Queue"


def _feeds(t: Template) -> Iterator[tuple[Edge, Resource, Resource]]:
    """(mapping, queue, function) for every queue of this template that feeds a function."""
    for edge in t.graph.of_kind(INVOKES, POLL):
        queue = t.resources.get(edge.source or "")
        function = t.resources.get(edge.target or "")
        if edge.service == "sqs" and queue is not None and queue.type == QUEUE and function:
            yield edge, queue, function


def _visibility_cases(t: Template, edge: Edge, queue: Resource, function: Resource):
    visibility = t.effective(queue, "VisibilityTimeout")
    timeout = t.effective(function, "Timeout")
    window = t.prop_at((*edge.settings, "MaximumBatchingWindowInSeconds"))
    windows = t.branches(window) if window is not None else t.branches(0)
    for (vis, fn_timeout, batching), when in combine(
        t.branches(visibility), t.branches(timeout), windows
    ):
        numbers = as_number(vis), as_number(fn_timeout), as_number(batching)
        if None not in numbers:
            yield visibility, timeout, *numbers, when


def queue_visibility_below_function_timeout(t: Template, rule: Rule) -> Iterator[Hit]:
    for edge, queue, function in _feeds(t):
        for visibility, timeout, vis, fn_timeout, _, when in _visibility_cases(
            t, edge, queue, function
        ):
            if vis < fn_timeout:
                yield rule.hit(
                    f"Queue '{queue.logical_id}' VisibilityTimeout {seconds(vis, visibility)} is "
                    f"below the {seconds(fn_timeout, timeout)} timeout of function "
                    f"'{function.logical_id}': Lambda rejects the event source mapping",
                    at_value(visibility),
                    queue.logical_id,
                    [at_value(timeout, "function timeout"), at_edge(edge, "event source mapping")],
                    when,
                )


def queue_visibility_below_six_times_timeout(t: Template, rule: Rule) -> Iterator[Hit]:
    multiplier = rule.option("visibility_multiplier")
    for edge, queue, function in _feeds(t):
        for visibility, timeout, vis, fn_timeout, window, when in _visibility_cases(
            t, edge, queue, function
        ):
            needed = multiplier * fn_timeout + window
            if fn_timeout <= vis < needed:
                formula = f"{multiplier:g} × {fn_timeout:g} s"
                formula += f" + {window:g} s batching window" if window else ""
                yield rule.hit(
                    f"Queue '{queue.logical_id}' VisibilityTimeout {seconds(vis, visibility)} is "
                    f"under {formula} = {needed:g} s for function '{function.logical_id}': "
                    "messages can become visible again while a retry is still running and "
                    "be processed twice",
                    at_value(visibility),
                    queue.logical_id,
                    [at_value(timeout, "function timeout"), at_edge(edge, "event source mapping")],
                    when,
                )


def consumed_queue_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    consumers: dict[str, Edge] = {}
    for edge, queue, _ in _feeds(t):
        consumers.setdefault(queue.logical_id, edge)
    for queue_id, edge in consumers.items():
        queue = t.resources[queue_id]
        if t.graph.is_dead_letter_target(queue_id):
            continue
        for absent in t.absent_when(t.prop(queue, "RedrivePolicy")):
            yield rule.hit(
                f"Queue '{queue_id}' is consumed by function '{edge.target}' but has no "
                "RedrivePolicy: a message that always fails is retried until it expires",
                Place(queue.path, key=True),
                queue_id,
                [at_edge(edge, "consumer")],
                absent.conditions,
            )


def queue_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    consumed = {queue.logical_id for _, queue, _ in _feeds(t)}
    for queue in t.of_type(QUEUE):
        if queue.logical_id in consumed or t.graph.is_dead_letter_target(queue.logical_id):
            continue
        for absent in t.absent_when(t.prop(queue, "RedrivePolicy")):
            yield rule.hit(
                f"Queue '{queue.logical_id}' has no RedrivePolicy: messages its consumers cannot "
                "process stay in the queue until they expire",
                Place(queue.path, key=True),
                queue.logical_id,
                when=absent.conditions,
            )
