"""SQS queues consumed by Lambda: visibility timeout and dead-letter queues."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import INVOKES, POLL, Edge
from ..intrinsics import NO_VALUE, Branch, Conditions, as_number, combine, within
from ..model import Model
from ..template import QUEUE, Resource, Template, Value
from . import at_edge, at_value, seconds

# AWS's advice: a visibility timeout of at least six times the function timeout, plus the
# batching window (WA3002's `visibility_multiplier` defaults to it; EA3001 names the value).
RECOMMENDED_MULTIPLIER = 6


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


def _consumers(m: Model) -> Iterator[tuple[Edge, Resource]]:
    """(mapping, queue) for every queue of this template that Lambda polls, whether the
    function is in this template or not."""
    for edge in m.graph.of_kind(INVOKES, POLL):
        queue = m.template.resources.get(edge.source or "")
        if edge.origin == "sqs" and queue is not None and queue.type == QUEUE:
            yield edge, queue


def _feeds(m: Model) -> Iterator[tuple[Edge, Resource, Resource]]:
    """(mapping, queue, function) for every queue of this template that feeds a function."""
    for edge, queue in _consumers(m):
        function = m.template.resources.get(edge.target or "")
        if function is not None:
            yield edge, queue, function


def _exists(edge: Edge) -> list[Branch]:
    return [Branch(None, edge.conditions)]


def _visibility(t: Template, queue: Resource) -> list[Branch]:
    default = t.default(queue.type, "VisibilityTimeout")
    return _seconds(t, t.effective(queue, "VisibilityTimeout"), default)


def _timeout(t: Template, function: Resource) -> list[Branch]:
    default = t.default(function.type, "Timeout")
    return _seconds(t, t.effective(function, "Timeout"), default)


def _window(t: Template, edge: Edge) -> list[Branch]:
    path = (*edge.settings, "MaximumBatchingWindowInSeconds")
    default = t.default("AWS::Lambda::EventSourceMapping", "MaximumBatchingWindowInSeconds")
    window = t.prop_at(path) or Value(default, path, default=True)
    return _seconds(t, window, default)


def _related(timeout: _Seconds, edge: Edge) -> list[Place]:
    return [timeout.place("function timeout"), at_edge(edge, "event source mapping")]


def queue_visibility_below_function_timeout(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge, queue, function in _feeds(m):
        windows = _window(t, edge) or [Branch(None)]  # unknown: advise without it
        cases: Iterator[tuple[tuple[_Seconds, ...], Conditions]] = combine(
            _visibility(t, queue), _timeout(t, function), windows, _exists(edge)
        )
        for (visibility, timeout, window, _), when in cases:
            if visibility.number < timeout.number:
                yield rule.hit(
                    f"Queue '{queue.logical_id}' VisibilityTimeout {visibility} is below "
                    f"function '{function.logical_id}' Timeout {timeout}: Lambda rejects the "
                    f"event source mapping and the deployment fails; {_advice(timeout, window)}",
                    visibility.place(),
                    queue.logical_id,
                    _related(timeout, edge),
                    when,
                )


def _advice(timeout: _Seconds, window: _Seconds | None) -> str:
    """The value that fixes EA3001 and WA3002 at once."""
    advised = RECOMMENDED_MULTIPLIER * timeout.number + (window.number if window else 0)
    if window is None:
        return (f"set it to at least {advised:g} s plus the batching window "
                f"({RECOMMENDED_MULTIPLIER} × {timeout} + batching window, as AWS advises)")
    formula = _formula(RECOMMENDED_MULTIPLIER, timeout, window)
    return f"set it to at least {advised:g} s ({formula}, as AWS advises)"


def _formula(multiplier: float, timeout: _Seconds, window: _Seconds) -> str:
    formula = f"{multiplier:g} × {timeout}"
    if window.number:
        formula += f" + {window.number:g} s batching window"
    return formula


def queue_visibility_below_six_times_timeout(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    multiplier = rule.option("visibility_multiplier")
    for edge, queue, function in _feeds(m):
        cases: Iterator[tuple[tuple[_Seconds, ...], Conditions]] = combine(
            _visibility(t, queue), _timeout(t, function), _window(t, edge), _exists(edge)
        )
        for (visibility, timeout, window, _), when in cases:
            needed = multiplier * timeout.number + window.number
            # Below 1x the timeout the mapping is rejected: EA3001 reports that instead.
            if not timeout.number <= visibility.number < needed:
                continue
            formula = _formula(multiplier, timeout, window)
            yield rule.hit(
                f"Queue '{queue.logical_id}' VisibilityTimeout {visibility} is under {formula} = "
                f"{needed:g} s for function '{function.logical_id}': messages can become visible "
                "again while a retry is still running and be processed twice",
                visibility.place(),
                queue.logical_id,
                _related(timeout, edge),
                when,
            )


def _names(t: Template, edges: list[Edge]) -> str:
    """'function 'A'', 'functions 'A' and 'B'', or the mappings whose function is elsewhere."""
    quoted = list(dict.fromkeys(
        f"'{e.target}'" if e.target in t.resources else f"'{e.owner}' (its function is outside "
        "this template)" for e in edges
    ))
    if len(quoted) == 1:
        return f"function {quoted[0]}" if edges[0].target in t.resources else (
            f"event source mapping {quoted[0]}")
    outside = any(e.target not in t.resources for e in edges)
    return f"{'consumers' if outside else 'functions'} {', '.join(quoted[:-1])} and {quoted[-1]}"


def _unless_consumed(absent: list[Branch], edges: list[Edge]) -> list[Branch]:
    """The absent branches under which some consumer exists."""
    found: dict[Conditions, Branch] = {}
    for edge in edges:
        for branch in within(absent, edge.conditions):
            found.setdefault(branch.conditions, branch)
    return list(found.values())


def consumed_queue_without_dlq(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    consumers: dict[str, list[Edge]] = {}
    for edge, queue in _consumers(m):
        consumers.setdefault(queue.logical_id, []).append(edge)
    for queue_id, edges in consumers.items():
        queue = t.resources[queue_id]
        if m.graph.is_dead_letter_target(queue_id):
            continue
        for absent in _unless_consumed(t.absent_when(t.prop(queue, "RedrivePolicy")), edges):
            yield rule.hit(
                f"Queue '{queue_id}' is consumed by {_names(t, edges)} but has no "
                "RedrivePolicy: a message that keeps failing is received again until its "
                "retention period expires, then deleted",
                Place(queue.path, key=True),
                queue_id,
                [at_edge(edge, "consumer") for edge in edges],
                absent.conditions,
            )


def queue_without_dlq(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    consumed = {queue.logical_id for _, queue in _consumers(m)}
    for queue in t.of_type(QUEUE):
        if queue.logical_id in consumed or m.graph.is_dead_letter_target(queue.logical_id):
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
