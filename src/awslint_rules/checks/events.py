"""EventBridge rules and Scheduler schedules: dead-letter queues for targets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import Branch, Conditions, merge_conditions
from ..load import Path
from ..template import SAM_FUNCTION, Resource, Template

SAM_EVENTBRIDGE_EVENTS = frozenset({"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"})
SAM_STATE_MACHINE = "AWS::Serverless::StateMachine"
SAM_OWNERS = {SAM_FUNCTION: "function", SAM_STATE_MACHINE: "state machine"}

RULE_DROPS = (
    "events EventBridge cannot deliver are dropped after its retries (at once on a missing "
    "permission or a deleted target)"
)
SCHEDULE_DROPS = (
    "invocations EventBridge Scheduler cannot deliver are dropped once its retry policy runs out"
)


def rule_target_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    yield from _rule_targets(t, rule)
    yield from _schedules(t, rule)
    yield from _sam_events(t, rule)


def _absent(t: Template, path: Path, keys: tuple[str, ...]) -> list[Conditions]:
    return [branch.conditions for branch in t.absent_when(t.prop_at(path), keys)]


def _rule_targets(t: Template, rule: Rule) -> Iterator[Hit]:
    for resource in t.of_type("AWS::Events::Rule"):
        targets = resource.properties.get("Targets")
        for index, target in enumerate(targets if isinstance(targets, list) else ()):
            path = (*resource.properties_path, "Targets", index)
            target_id = target.get("Id") if isinstance(target, dict) else None
            name = f"Target '{target_id}'" if isinstance(target_id, str) else f"Target {index + 1}"
            for when in _absent(t, path, ("DeadLetterConfig", "Arn")):
                yield rule.hit(
                    f"{name} of rule '{resource.logical_id}' has no DeadLetterConfig: "
                    f"{RULE_DROPS}",
                    Place(path),
                    resource.logical_id,
                    when=when,
                )


def _schedules(t: Template, rule: Rule) -> Iterator[Hit]:
    for resource in t.of_type("AWS::Scheduler::Schedule"):
        path = (*resource.properties_path, "Target")
        for when in _absent(t, path, ("DeadLetterConfig", "Arn")):
            yield rule.hit(
                f"The target of schedule '{resource.logical_id}' has no DeadLetterConfig: "
                f"{SCHEDULE_DROPS}",
                Place(path, key=True),
                resource.logical_id,
                when=when,
            )
        yield from _fifo_dead_letter(t, rule, f"Schedule '{resource.logical_id}'", path, resource)


def _fifo_dead_letter(
    t: Template, rule: Rule, who: str, path: Path, owner: Resource
) -> Iterator[Hit]:
    """EventBridge Scheduler does not support a FIFO queue as a schedule's dead-letter queue."""
    arn_path = (*path, "DeadLetterConfig", "Arn")
    place = arn_path if t.prop_at(arn_path) is not None else (*path, "DeadLetterConfig")
    seen: set[tuple[str, Conditions]] = set()
    for branch in t.values_along(t.prop_at(path), ("DeadLetterConfig", "Arn")):
        for queue, when in _fifo_queues(t, branch):
            if (queue, when) in seen:
                continue
            seen.add((queue, when))
            yield rule.hit(
                f"{who} uses FIFO queue {queue} as its dead-letter queue: EventBridge Scheduler "
                "only supports standard queues as dead-letter queues",
                Place(place),
                owner.logical_id,
                when=when,
            )


def _fifo_queues(t: Template, branch: Branch) -> Iterator[tuple[str, Conditions]]:
    value: Any = branch.value
    if isinstance(value, str) and value.startswith("arn:") and value.endswith(".fifo"):
        yield f"'{value.rsplit(':', 1)[-1]}'", branch.conditions
        return
    ref = getattr(value, "logical_id", None)
    queue = t.resources.get(ref) if isinstance(ref, str) else None
    if queue is None or queue.type != "AWS::SQS::Queue":
        return
    for fifo in t.branches(queue.properties.get("FifoQueue")):
        merged = merge_conditions(branch.conditions, fifo.conditions)
        if merged is not None and str(fifo.value).lower() == "true":
            yield f"'{queue.logical_id}'", merged


def _sam_events(t: Template, rule: Rule) -> Iterator[Hit]:
    for owner in t.of_type(SAM_FUNCTION, SAM_STATE_MACHINE):
        kind = SAM_OWNERS[owner.type]
        events = owner.properties.get("Events")
        for name, event in (events.items() if isinstance(events, dict) else ()):
            if not isinstance(event, dict) or not isinstance(event.get("Type"), str) \
                    or event["Type"] not in SAM_EVENTBRIDGE_EVENTS:
                continue
            path = (*owner.properties_path, "Events", name)
            who = f"{event['Type']} event '{name}' of {kind} '{owner.logical_id}'"
            drops = SCHEDULE_DROPS if event["Type"] == "ScheduleV2" else RULE_DROPS
            for when in _absent(t, path, ("Properties", "DeadLetterConfig")):
                yield rule.hit(
                    f"{who} has no DeadLetterConfig: {drops}",
                    Place(path, key=True),
                    owner.logical_id,
                    when=when,
                )
            if event["Type"] == "ScheduleV2":
                yield from _fifo_dead_letter(t, rule, who, (*path, "Properties"), owner)
