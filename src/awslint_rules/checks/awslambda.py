"""Lambda functions: how they are invoked and what happens when an invocation fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import ASYNC, DEAD_LETTERS, FUNCTION_ON_FAILURE
from ..intrinsics import NO_VALUE, Branch, Conditions, as_number, combine, within
from ..template import FUNCTION_TYPES, SAM_FUNCTION, Resource, Template, Value
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


RESERVED = "ReservedConcurrentExecutions"


@dataclass(frozen=True)
class _Reservation:
    """One branch of a function's reserved concurrency and where it is written."""

    function_id: str
    number: float
    value: Value


def _count(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _resource_condition(t: Template, function: Resource) -> str | None:
    body = t.document.data.get("Resources", {}).get(function.logical_id)
    condition = body.get("Condition") if isinstance(body, dict) else None
    return condition if isinstance(condition, str) else None


def _reservations(t: Template, function: Resource) -> list[Branch] | None:
    """The function's reservation on each branch (None on branches that reserve nothing, or
    where the function is not created); None overall when any branch is unknown."""
    value = t.prop(function, RESERVED)  # the function's own value, or SAM Globals'
    branches: list[Branch] = []
    if value is None or value.raw is None:
        branches.append(Branch(None))
    else:
        for branch in t.branches(value):
            if branch.value is NO_VALUE:
                branches.append(Branch(None, branch.conditions))
                continue
            number = as_number(branch.value)
            if number is None or number < 0:
                return None
            reservation = _Reservation(function.logical_id, number, value)
            branches.append(Branch(reservation, branch.conditions))
    condition = _resource_condition(t, function)
    if condition:
        branches = [*within(branches, ((condition, True),)), Branch(None, ((condition, False),))]
    return branches


def reserved_concurrency_over_account(t: Template, rule: Rule) -> Iterator[Hit]:
    account = rule.option("account_concurrency")
    unreserved = rule.option("unreserved_minimum")
    limit = account - unreserved
    alternatives: list[list[Branch]] = []
    for function in t.resources.values():
        if function.type not in FUNCTION_TYPES or t.prop(function, RESERVED) is None:
            continue
        branches = _reservations(t, function)
        if branches is None:  # a reservation we cannot resolve: the sum is unknown
            return
        alternatives.append(branches)
    worst: tuple[float, list[_Reservation], Conditions] | None = None
    for values, when in combine(*alternatives):
        reserved = [v for v in values if isinstance(v, _Reservation) and v.number > 0]
        total = sum(r.number for r in reserved)
        if total > limit and (worst is None or total > worst[0]):
            worst = (total, reserved, when)
    if worst is None:
        return
    total, reserved, when = worst
    largest = max(reserved, key=lambda r: r.number)  # the first one on a tie
    others = [r for r in reserved if r is not largest]
    if others:
        summary = (
            f"Reserved concurrency adds up to {_count(total)} across {len(reserved)} functions "
            f"(the largest, '{largest.function_id}', reserves {_count(largest.number)})"
        )
    else:
        summary = f"Function '{largest.function_id}' reserves {_count(total)} concurrency"
    yield rule.hit(
        f"{summary}, over the {_count(limit)} this account can reserve ({_count(account)} "
        f"concurrent executions minus the {_count(unreserved)} Lambda keeps unreserved): "
        "the deployment fails",
        Place(largest.value.path),
        largest.function_id,
        [Place(r.value.path, message=f"function '{r.function_id}' reserves {_count(r.number)}")
         for r in others],
        when,
    )
