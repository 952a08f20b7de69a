"""EventBridge rules and Scheduler schedules: dead-letter queues for targets."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..template import SAM_FUNCTION, Template

SAM_EVENTBRIDGE_EVENTS = frozenset({"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"})


def rule_target_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    yield from _rule_targets(t, rule)
    yield from _schedules(t, rule)
    yield from _sam_events(t, rule)


def _rule_targets(t: Template, rule: Rule) -> Iterator[Hit]:
    for resource in t.of_type("AWS::Events::Rule"):
        targets = resource.properties.get("Targets")
        for index, target in enumerate(targets if isinstance(targets, list) else ()):
            path = (*resource.properties_path, "Targets", index)
            dlq = t.prop_at((*path, "DeadLetterConfig"))
            target_id = target.get("Id") if isinstance(target, dict) else index
            for absent in t.absent_when(dlq):
                yield rule.hit(
                    f"Target '{target_id}' of rule '{resource.logical_id}' has no "
                    "DeadLetterConfig: events EventBridge cannot deliver after its retries are "
                    "dropped",
                    Place(path),
                    resource.logical_id,
                    when=absent.conditions,
                )


def _schedules(t: Template, rule: Rule) -> Iterator[Hit]:
    for resource in t.of_type("AWS::Scheduler::Schedule"):
        path = (*resource.properties_path, "Target")
        dlq = t.prop_at((*path, "DeadLetterConfig", "Arn"))
        for absent in t.absent_when(dlq):
            yield rule.hit(
                f"Schedule '{resource.logical_id}' target has no DeadLetterConfig: invocations "
                "that still fail after the retry policy are dropped",
                Place(path, key=True),
                resource.logical_id,
                when=absent.conditions,
            )
        queue = t.resource_at(dlq.raw) if dlq is not None else None
        if queue is not None and queue.type == "AWS::SQS::Queue" and _is_fifo(t, queue):
            yield rule.hit(
                f"Schedule '{resource.logical_id}' uses FIFO queue '{queue.logical_id}' as its "
                "dead-letter queue: EventBridge Scheduler only supports standard queues",
                Place(dlq.path),
                resource.logical_id,
            )


def _is_fifo(t: Template, queue) -> bool:
    return str(t.resolver.one(queue.properties.get("FifoQueue"))).lower() == "true"


def _sam_events(t: Template, rule: Rule) -> Iterator[Hit]:
    for function in t.of_type(SAM_FUNCTION):
        events = function.properties.get("Events")
        for name, event in (events.items() if isinstance(events, dict) else ()):
            if not isinstance(event, dict) or event.get("Type") not in SAM_EVENTBRIDGE_EVENTS:
                continue
            path = (*function.properties_path, "Events", name)
            dlq = t.prop_at((*path, "Properties", "DeadLetterConfig"))
            for absent in t.absent_when(dlq):
                yield rule.hit(
                    f"{event['Type']} event '{name}' of function '{function.logical_id}' has no "
                    "DeadLetterConfig: events that cannot be delivered after the retries are "
                    "dropped",
                    Place(path, key=True),
                    function.logical_id,
                    when=absent.conditions,
                )
