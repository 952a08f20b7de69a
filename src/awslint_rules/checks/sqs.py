"""SQS queues consumed by Lambda: visibility timeout and dead-letter queues."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import INVOKES, POLL, Edge
from ..intrinsics import NO_VALUE, Branch, Conditions, as_number, combine
from ..template import Resource, Template, Value
from . import at_edge, at_value, seconds

QUEUE = "AWS::SQS::Queue"


@dataclass(frozen=True)
class _Seconds:
    """One branch of a duration: its number, where it is written, and whether a default stood in."""

    number: float
    value: Value
    default: bool

    def __str__(self) -> str:
        return seconds(self.number, self.default)

    def place(self, message: str = "") -> Place:
        # a written property (even an `Fn::If` branch of AWS::NoValue) is located at its value
        return at_value(self.value, message)


def _seconds(t: Template, value: Value, default: Any) -> list[Branch]:
    """The numeric branches of `value`; AWS::NoValue means the AWS default; unknown is dropped."""
    branches = []
    for branch in t.branches(value):
        if branch.value is NO_VALUE or branch.value is None:
            number = as_number(default)  # None when no default is documented
            if number is not None:
                branches.append(Branch(_Seconds(number, value, True), branch.conditions))
            continue
        number = as_number(branch.value)
        if number is not None:
            branches.append(Branch(_Seconds(number, value, value.default), branch.conditions))
    return branches


def _feeds(t: Template) -> Iterator[tuple[Edge, Resource, Resource]]:
    """(mapping, queue, function) for every queue of this template that feeds a function."""
    for edge in t.graph.of_kind(INVOKES, POLL):
        queue = t.resources.get(edge.source or "")
        function = t.resources.get(edge.target or "")
        if edge.service == "sqs" and queue is not None and queue.type == QUEUE and function:
            yield edge, queue, function


def _visibility(t: Template, queue: Resource) -> list[Branch]:
    default = t.default(queue, "VisibilityTimeout")
    return _seconds(t, t.effective(queue, "VisibilityTimeout"), default)


def _timeout(t: Template, function: Resource) -> list[Branch]:
    default = t.default(function, "Timeout")
    return _seconds(t, t.effective(function, "Timeout"), default)


def _window(t: Template, edge: Edge) -> list[Branch]:
    path = (*edge.settings, "MaximumBatchingWindowInSeconds")
    window = t.prop_at(path) or Value(0, path, default=True)
    return _seconds(t, window, 0)


def _related(timeout: _Seconds, edge: Edge) -> list[Place]:
    return [timeout.place("function timeout"), at_edge(edge, "event source mapping")]


def queue_visibility_below_function_timeout(t: Template, rule: Rule) -> Iterator[Hit]:
    for edge, queue, function in _feeds(t):
        cases: Iterator[tuple[tuple[_Seconds, ...], Conditions]] = combine(
            _visibility(t, queue), _timeout(t, function)
        )
        for (visibility, timeout), when in cases:
            if visibility.number < timeout.number:
                yield rule.hit(
                    f"Queue '{queue.logical_id}' VisibilityTimeout {visibility} is below "
                    f"function '{function.logical_id}' Timeout {timeout}: Lambda rejects the "
                    "event source mapping and the deployment fails",
                    visibility.place(),
                    queue.logical_id,
                    _related(timeout, edge),
                    when,
                )


def queue_visibility_below_six_times_timeout(t: Template, rule: Rule) -> Iterator[Hit]:
    multiplier = rule.option("visibility_multiplier")
    for edge, queue, function in _feeds(t):
        cases: Iterator[tuple[tuple[_Seconds, ...], Conditions]] = combine(
            _visibility(t, queue), _timeout(t, function), _window(t, edge)
        )
        for (visibility, timeout, window), when in cases:
            needed = multiplier * timeout.number + window.number
            # Below 1x the timeout the mapping is rejected: EA3001 reports that instead.
            if not timeout.number <= visibility.number < needed:
                continue
            formula = f"{multiplier:g} × {timeout}"
            if window.number:
                formula += f" + {window.number:g} s batching window"
            yield rule.hit(
                f"Queue '{queue.logical_id}' VisibilityTimeout {visibility} is under {formula} = "
                f"{needed:g} s for function '{function.logical_id}': messages can become visible "
                "again while a retry is still running and be processed twice",
                visibility.place(),
                queue.logical_id,
                _related(timeout, edge),
                when,
            )


def _names(ids: list[str]) -> str:
    quoted = [f"'{name}'" for name in ids]
    if len(quoted) == 1:
        return f"function {quoted[0]}"
    return f"functions {', '.join(quoted[:-1])} and {quoted[-1]}"


def consumed_queue_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    consumers: dict[str, list[Edge]] = {}
    for edge, queue, _ in _feeds(t):
        consumers.setdefault(queue.logical_id, []).append(edge)
    for queue_id, edges in consumers.items():
        queue = t.resources[queue_id]
        if t.graph.is_dead_letter_target(queue_id):
            continue
        functions = list(dict.fromkeys(edge.target or "" for edge in edges))
        for absent in t.absent_when(t.prop(queue, "RedrivePolicy")):
            yield rule.hit(
                f"Queue '{queue_id}' is consumed by {_names(functions)} but has no "
                "RedrivePolicy: a message that keeps failing is received again until its "
                "retention period expires, then deleted",
                Place(queue.path, key=True),
                queue_id,
                [at_edge(edge, "consumer") for edge in edges],
                absent.conditions,
            )


def queue_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    consumed = {queue.logical_id for _, queue, _ in _feeds(t)}
    for queue in t.of_type(QUEUE):
        if queue.logical_id in consumed or t.graph.is_dead_letter_target(queue.logical_id):
            continue
        for absent in t.absent_when(t.prop(queue, "RedrivePolicy")):
            yield rule.hit(
                f"Queue '{queue.logical_id}' has no RedrivePolicy and is not a dead-letter "
                "queue: a message its consumers cannot process is received again until its "
                "retention period expires, then deleted",
                Place(queue.path, key=True),
                queue.logical_id,
                when=absent.conditions,
            )
