"""EventBridge rules, Scheduler schedules and SAM rule events: dead-letter queues for targets,
the permissions and queue policies EventBridge needs to deliver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from .. import sam
from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import DEAD_LETTERS, INVOKES, TARGET_DLQ, TARGETS, Edge
from ..intrinsics import within
from ..load import Path
from ..model import Model
from ..sam import SAM_FUNCTION
from ..template import QUEUE, Template
from . import at_edge
from .access import Grants, at_resource, function_name

OWNER_KINDS = {SAM_FUNCTION: "function"}
RULE_DROPS = (
    "events EventBridge cannot deliver are dropped after its retries (at once on a missing "
    "permission or a deleted target)"
)
# The SAM event types that become an EventBridge rule (ScheduleV2 becomes a Scheduler schedule).
RULE_EVENTS = frozenset(name for name, row in sam.EVENT_TYPES.items()
                        if row.rule and row.origin == "events")
SCHEDULE_DROPS = (
    "invocations EventBridge Scheduler cannot deliver are dropped once its retry policy runs out"
)


def rule_target_without_dlq(m: Model, rule: Rule) -> Iterator[Hit]:
    include_schedules = rule.option("include_schedules")
    # a target whose `Arn` is an `Fn::If` is one edge per branch: one target, checked once
    targets: dict[tuple[str, Path], Edge] = {}
    for edge in m.graph.of_kind(TARGETS):
        if edge.origin not in ("events", "scheduler"):
            continue
        if edge.scheduled and not include_schedules:
            continue
        known = targets.get((edge.owner, edge.path))
        targets[(edge.owner, edge.path)] = edge if known is None else replace(
            known, conditions=tuple(c for c in known.conditions if c in edge.conditions))
    for edge in targets.values():
        yield from _without_dlq(m.template, rule, edge)


def _who(t: Template, edge: Edge) -> str:
    if edge.sam_event:
        kind = OWNER_KINDS.get(t.resources[edge.owner].type, "state machine")
        return f"{edge.sam_event} event '{edge.path[-1]}' of {kind} '{edge.owner}'"
    if edge.origin == "scheduler":
        return f"The target of schedule '{edge.owner}'"
    written = t.prop_at((*edge.path, "Id"))
    target_id = t.resolver.one(written.raw) if written is not None else None
    index = next((step for step in reversed(edge.path) if isinstance(step, int)), 0)
    name = f"Target '{target_id}'" if isinstance(target_id, str) else f"Target {index + 1}"
    return f"{name} of rule '{edge.owner}'"


def _dead_letter_keys(edge: Edge) -> tuple[str, ...]:
    """SAM creates the queue when an event's DeadLetterConfig gives only `Type: SQS`."""
    return ("DeadLetterConfig",) if edge.sam_event else ("DeadLetterConfig", "Arn")


def _without_dlq(t: Template, rule: Rule, edge: Edge) -> Iterator[Hit]:
    absent = t.absent_when(t.prop_at(edge.settings), _dead_letter_keys(edge))
    drops = SCHEDULE_DROPS if edge.origin == "scheduler" else RULE_DROPS
    for branch in within(absent, edge.conditions):
        yield rule.hit(
            f"{_who(t, edge)} has no DeadLetterConfig: {drops}",
            at_edge(edge, ""),
            edge.owner,
            when=branch.conditions,
        )


EVENTS_PRINCIPAL = "events.amazonaws.com"


def _has_role(t: Template, edge: Edge) -> bool:
    """A target `RoleArn` on some branch: EventBridge may use that role instead."""
    role = t.prop_at((*edge.settings, "RoleArn"))
    return role is not None and len(t.absent_when(role)) < len(t.values_along(role))


def rule_lambda_permission_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    grants = Grants(m)
    for edge in m.graph.of_kind(INVOKES):
        if edge.origin != "events" or edge.sam_event or edge.target not in t.resources:
            continue
        if _has_role(t, edge):
            continue
        function = edge.target
        for when in grants.missing_when(function, "function", EVENTS_PRINCIPAL,
                                        edge.conditions, edge.owner):
            yield rule.hit(
                f"{_who(t, edge)} invokes function '{function}', but no AWS::Lambda::Permission "
                f"lets {EVENTS_PRINCIPAL} invoke it for this rule: every event fails without a "
                "retry and is dropped (or sent to the target's dead-letter queue). Add an "
                "AWS::Lambda::Permission with Action lambda:InvokeFunction, FunctionName "
                f"{function_name(function, edge.qualifier)}, Principal {EVENTS_PRINCIPAL} and "
                f"SourceArn !GetAtt {edge.owner}.Arn",
                _at_arn(t, edge),
                edge.owner,
                at_resource(m, function, "the function"),
                when,
            )


def _at_arn(t: Template, edge: Edge) -> Place:
    """The target's `Arn`, or the target itself when it is written otherwise."""
    arn = (*edge.path, "Arn")
    return Place(arn) if t.prop_at(arn) is not None else at_edge(edge, "")


def _queue_policy_fix(queue: str, rule_id: str) -> str:
    return (f"Add an AWS::SQS::QueuePolicy with Queues [!Ref {queue}] and a statement that "
            f"allows Principal {{Service: {EVENTS_PRINCIPAL}}} the Action sqs:SendMessage on "
            f"Resource !GetAtt {queue}.Arn, with Condition ArnEquals aws:SourceArn "
            f"!GetAtt {rule_id}.Arn")


def _queue(t: Template, logical_id: str | None) -> str | None:
    resource = t.resources.get(logical_id) if logical_id else None
    return resource.logical_id if resource is not None and resource.type == QUEUE else None


def rule_queue_policy_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    grants = Grants(m)
    for edge in m.graph.of_kind(TARGETS):
        queue = _queue(t, edge.target)
        if edge.origin != "events" or edge.sam_event or queue is None or _has_role(t, edge):
            continue
        for when in grants.missing_when(queue, "queue", EVENTS_PRINCIPAL, edge.conditions,
                                        edge.owner):
            yield rule.hit(
                f"{_who(t, edge)} sends to queue '{queue}', but no queue policy lets "
                f"{EVENTS_PRINCIPAL} send to it for this rule: every event fails without a "
                "retry and is "
                f"dropped (or sent to the target's dead-letter queue). "
                f"{_queue_policy_fix(queue, edge.owner)}",
                _at_arn(t, edge),
                edge.owner,
                at_resource(m, queue, "the queue"),
                when,
            )
    for edge in m.graph.of_kind(DEAD_LETTERS):
        queue = _queue(t, edge.target)
        if edge.role != TARGET_DLQ or queue is None or not _rule_delivers(t, edge):
            continue
        rule_id = edge.owner + (_sam_event_name(edge) or "")  # SAM names its rule so
        source = None if _sam_event_name(edge) else edge.owner
        for when in grants.missing_when(queue, "queue", EVENTS_PRINCIPAL, edge.conditions,
                                        source):
            yield rule.hit(
                f"The dead-letter queue '{queue}' of {_dead_letter_owner(edge)} has no queue "
                f"policy that lets {EVENTS_PRINCIPAL} send to it for this rule: events "
                "EventBridge cannot "
                f"deliver are lost instead of kept. {_queue_policy_fix(queue, rule_id)}",
                Place(edge.path),
                edge.owner,
                at_resource(m, queue, "the dead-letter queue"),
                when,
            )


def _sam_event_name(edge: Edge) -> str | None:
    path = edge.path
    return str(path[path.index("Events") + 1]) if "Events" in path else None


def _rule_delivers(t: Template, edge: Edge) -> bool:
    """A dead-letter queue EventBridge rules write to (Scheduler writes with its role)."""
    event = _sam_event_name(edge)
    if event is None:
        return t.resources[edge.owner].type == "AWS::Events::Rule"
    declared = t.prop_at((*edge.path[:edge.path.index("Events") + 2], "Type"))
    return declared is not None and isinstance(declared.raw, str) and declared.raw in RULE_EVENTS


def _dead_letter_owner(edge: Edge) -> str:
    event = _sam_event_name(edge)
    if event is None:
        return f"a target of rule '{edge.owner}'"
    return f"event '{event}' of '{edge.owner}'"
