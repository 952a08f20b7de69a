"""SQS queues consumed by Lambda: visibility timeout and dead-letter queues."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import sam
from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import (
    DEAD_LETTERS,
    FUNCTION_DLQ,
    FUNCTION_ON_FAILURE,
    INVOKES,
    NO_VALUE_REF,
    NOTIFIES,
    POLL,
    QUEUE_REDRIVE,
    READS,
    SUBSCRIBES,
    SUBSCRIPTION_DLQ,
    TARGET_DLQ,
    TARGETS,
    Edge,
    join_as_sub,
)
from ..intrinsics import (
    NO_VALUE,
    Branch,
    Conditions,
    Located,
    Ref,
    alternatives,
    as_number,
    combine,
    items,
    merge_conditions,
    within,
)
from ..load import Path
from ..model import Model
from ..template import QUEUE, SAM_FUNCTION, Resource, Template, Value
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
                    f"event source mapping and the deployment fails; {_advice(timeout, window)}"
                    f"{_sam_queue_advice(queue)}",
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


def _sam_queue_advice(queue: Resource) -> str:
    """How to set what the queue SAM creates for `SqsSubscription: true` cannot be given."""
    if queue.created_by is None:
        return ""
    return (". SAM creates this queue for SqsSubscription: true with the SQS defaults; declare "
            "an AWS::SQS::Queue with the VisibilityTimeout and RedrivePolicy it needs and give "
            "it as SqsSubscription QueueArn (!GetAtt) and QueueUrl (!Ref)")


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
                "again while a retry is still running and be processed twice"
                f"{_sam_queue_advice(queue)}",
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
                f"retention period expires, then deleted{_sam_queue_advice(queue)}",
                Place(queue.path, key=True),
                queue_id,
                [at_edge(edge, "consumer") for edge in edges],
                absent.conditions,
            )


def queue_without_dlq(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    consumed: dict[str, list[Conditions]] = {}
    for edge, queue in _consumers(m):
        consumed.setdefault(queue.logical_id, []).append(edge.conditions)
    for queue in t.of_type(QUEUE):
        if m.graph.is_dead_letter_target(queue.logical_id):
            continue
        for absent in t.absent_when(t.prop(queue, "RedrivePolicy")):
            # where Lambda consumes the queue, WA3003 reports it
            if any(merge_conditions(absent.conditions, when) is not None
                   for when in consumed.get(queue.logical_id, [])):
                continue
            yield rule.hit(
                f"Queue '{queue.logical_id}' has no RedrivePolicy and is not a dead-letter "
                "queue: a message its consumers cannot process is received again until its "
                "retention period expires, then deleted",
                Place(queue.path, key=True),
                queue.logical_id,
                when=absent.conditions,
            )


# -- EA3012: a queue's URL where an ARN goes, or its ARN where a URL goes -----------------------

MAPPING = "AWS::Lambda::EventSourceMapping"
# The keys leading from where a dead-letter edge is declared to the ARN it names.
_DLQ_KEYS = ("DestinationConfig", "OnFailure", "deadLetterTargetArn", "TargetArn", "Arn",
             "Destination")
# Properties that take queue URLs: the resource type, the key, and whether it is a list.
_URL_PROPERTIES = (("AWS::SQS::QueuePolicy", "Queues", True),
                   ("AWS::SQS::QueueInlinePolicy", "Queue", False))


def _dlq_site(t: Template, path: Path) -> Path:
    """The ARN below a dead-letter edge's path: `RedrivePolicy` -> its `deadLetterTargetArn`,
    a SAM `DeadLetterQueue` -> its `TargetArn`, `DestinationConfig` -> `OnFailure.Destination`."""
    for _ in range(len(_DLQ_KEYS)):
        found = t.prop_at(path)
        raw = found.raw if found is not None else None
        if not isinstance(raw, dict) or any(k == "Ref" or k.startswith("Fn::") for k in raw):
            return path
        key = next((k for k in _DLQ_KEYS if k in raw), None)
        if key is None:
            return path
        path = (*path, key)
    return path


def _arn_site(t: Template, edge: Edge) -> Path | None:
    """Where the ARN of the queue (or other resource) this edge names is written."""
    owner = t.resources.get(edge.owner)
    if owner is None:
        return None
    if edge.kind == DEAD_LETTERS:
        return _dlq_site(t, edge.path)
    if edge.kind == READS or (edge.kind == TARGETS and edge.origin == "pipes"):
        return edge.path
    if edge.kind == TARGETS:
        return None if edge.sam_event else (*edge.path, "Arn")
    if edge.sam_event == "SNS" and (edge.protocol == "sqs" or edge.origin == "sqs"):
        return (*edge.settings, "SqsSubscription", "QueueArn")
    if edge.kind == SUBSCRIBES and edge.protocol == "sqs":
        return (*(edge.settings if owner.type == "AWS::SNS::Subscription" else edge.path),
                "Endpoint")
    if edge.kind == INVOKES and edge.mode == POLL:
        if owner.type == MAPPING:
            return (*edge.settings, "EventSourceArn")
        row = sam.EVENT_TYPES.get(edge.sam_event or "")
        return (*edge.settings, row.source_key) if row and row.source_key else None
    return None


def _arn_sites(m: Model) -> dict[Path, Conditions]:
    """Every place of the template that takes an ARN of a queue (or may: a rule target), with
    the conditions under which the wiring exists."""
    sites: dict[Path, Conditions] = {}
    for kind in (INVOKES, SUBSCRIBES, TARGETS, READS, DEAD_LETTERS):
        for edge in m.graph.of_kind(kind):
            site = _arn_site(m.template, edge)
            if site is not None and m.template.prop_at(site) is not None:
                _add_site(sites, site, edge.conditions)
    for edge in m.graph.of_kind(NOTIFIES):
        if edge.protocol == "sqs" and m.template.prop_at(edge.path) is not None:
            _add_site(sites, edge.path, edge.conditions)
    for site, conditions in _on_success_sites(m.template):
        _add_site(sites, site, conditions)
    return sites


def _add_site(sites: dict[Path, Conditions], site: Path, conditions: Conditions) -> None:
    """A site wired under several conditions (one edge per `Fn::If` branch of its value) keeps
    the conditions they share, so that every branch of the value is checked."""
    known = sites.get(site)
    sites[site] = conditions if known is None else tuple(c for c in known if c in conditions)


def _on_success_sites(t: Template) -> Iterator[tuple[Path, Conditions]]:
    """The `OnSuccess` destinations of asynchronous invocations (no edge of the graph: they
    receive successes, not failures), of EventInvokeConfig resources and SAM functions."""
    configs = [(r, r.properties.get("DestinationConfig"),
                (*r.properties_path, "DestinationConfig"))
               for r in t.of_type("AWS::Lambda::EventInvokeConfig")]
    for function in t.of_type(SAM_FUNCTION):
        written = t.prop(function, "EventInvokeConfig")
        if written is not None and isinstance(written.raw, dict):
            configs.append((function, written.raw.get("DestinationConfig"),
                            (*written.path, "DestinationConfig")))
    for owner, raw, path in configs:
        for config in alternatives(raw, path, owner.conditions, t.known_conditions):
            on_success = config.value.get("OnSuccess") if isinstance(config.value, dict) else None
            site = (*config.path, "OnSuccess", "Destination")
            if isinstance(on_success, dict) and "Destination" in on_success \
                    and t.prop_at(site) is not None:
                yield site, config.conditions


# `${Name}` in a `Sub`: a resource's Ref (`${Name.Attribute}` and `${!Literal}` are not)
_SUB_NAMES = re.compile(r"\$\{([^}!.][^}.]*)\}")
_SUB_QUEUE_URLS = re.compile(r"\$\{([^}!.][^}.]*)\.QueueUrl\}")


def _queue_urls(t: Template, raw: Any) -> list[str]:
    """The queues of this template whose URL `raw` is or contains: `!Ref Queue`, `${Queue}` in a
    `Sub`, `{Ref: Queue}` in a `Join`."""
    def is_queue(name: Any) -> bool:
        return isinstance(name, str) and getattr(t.resources.get(name), "type", None) == QUEUE

    if not isinstance(raw, dict) or len(raw) != 1:
        return []
    (function, argument), = raw.items()
    if function == "Ref":
        return [argument] if is_queue(argument) else []
    if function == "Fn::GetAtt":  # the QueueUrl attribute is the URL too
        name, _, attribute = argument.partition(".") if isinstance(argument, str) else (
            (argument[0], ".", argument[1]) if isinstance(argument, list) and len(argument) == 2
            else (None, "", None))
        return [name] if attribute == "QueueUrl" and is_queue(name) else []
    if function == "Fn::Sub":
        text, variables = (argument if isinstance(argument, list) and len(argument) == 2
                           else (argument, {}))
        names = [*_SUB_NAMES.findall(text), *_SUB_QUEUE_URLS.findall(text)] \
            if isinstance(text, str) else []
        return [n for n in dict.fromkeys(names)
                if is_queue(n) and n not in (variables if isinstance(variables, dict) else {})]
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 \
            and isinstance(argument[1], list):
        return [q for part in argument[1] for q in _queue_urls(t, part)
                if _is_ref(part)]
    return []


def _is_ref(part: Any) -> bool:
    return isinstance(part, dict) and set(part) == {"Ref"}


def _property_name(path: Path) -> str:
    """`DeadLetterConfig.Arn`, `Targets.Arn`, `Properties.EventSourceArn` -> `EventSourceArn`."""
    keys = [k for k in path if isinstance(k, str) and k != "Fn::If"]
    tail = keys[-2:] if len(keys) > 3 and keys[-2] not in ("Properties", "Events") else keys[-1:]
    return ".".join(tail)


def queue_url_arn_mixup(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for site, conditions in _arn_sites(m).items():
        raw = t.prop_at(site)
        for found in alternatives(raw.raw if raw else None, site, conditions,
                                  t.known_conditions):
            for queue_id in _queue_urls(t, found.value):
                key = _property_name(site)
                yield rule.hit(
                    f"{key} takes an ARN, but this is the URL of queue '{queue_id}' (Ref of an "
                    f"AWS::SQS::Queue, like its QueueUrl attribute, returns its URL): use "
                    f"!GetAtt {queue_id}.Arn",
                    Place(found.path),
                    t.declared_id(_owner_of(site)),
                    [Place(t.resources[queue_id].path, key=True, message="the queue")],
                    found.conditions,
                )
    yield from _arns_given_as_urls(t, rule)


def _owner_of(path: Path) -> str | None:
    return str(path[1]) if len(path) > 1 and path[0] == "Resources" else None


def _arns_given_as_urls(t: Template, rule: Rule) -> Iterator[Hit]:
    """QueuePolicy `Queues` (and SAM's `SqsSubscription.QueueUrl`) take queue URLs."""
    for resource_type, key, many in _URL_PROPERTIES:
        for policy in t.of_type(resource_type):
            raw = policy.properties.get(key)
            path = (*policy.properties_path, key)
            found = (items(raw, path, policy.conditions, t.known_conditions) if many
                     else alternatives(raw, path, policy.conditions, t.known_conditions))
            for item in found:
                yield from _arn_as_url(t, rule, item, f"{resource_type} {key}",
                                       policy.logical_id)
    for owner in t.of_type(SAM_FUNCTION):
        for name, event, _ in sam.events_of(owner.type, owner.properties):
            subscription = event.get("Properties", {}).get("SqsSubscription") \
                if isinstance(event.get("Properties"), dict) else None
            if isinstance(subscription, dict) and "QueueUrl" in subscription:
                path = (*owner.properties_path, "Events", name, "Properties", "SqsSubscription",
                        "QueueUrl")
                for item in alternatives(subscription["QueueUrl"], path, owner.conditions,
                                         t.known_conditions):
                    yield from _arn_as_url(t, rule, item, "SqsSubscription QueueUrl",
                                           owner.logical_id)


def _arn_as_url(t: Template, rule: Rule, item: Located, what: str, owner: str
                ) -> Iterator[Hit]:
    for branch in within(t.branches(item.value), item.conditions):
        ref = branch.value if isinstance(branch.value, Ref) else None
        queue = t.resources.get(ref.logical_id) if ref else None
        if ref is not None and queue is not None and queue.type == QUEUE \
                and ref.attribute == "Arn":
            yield rule.hit(
                f"{what} takes queue URLs, but this is the ARN of queue '{queue.logical_id}': "
                f"use !Ref {queue.logical_id}",
                Place(item.path), owner,
                [Place(queue.path, key=True, message="the queue")], branch.conditions,
            )
            return
        text = branch.value if isinstance(branch.value, str) else t.resolver.text(item.value)
        if isinstance(text, str) and text.startswith("arn:"):
            yield rule.hit(
                f"{what} takes queue URLs (https://sqs.<region>.amazonaws.com/<account>/<name>), "
                f"but this is an ARN: {text}",
                Place(item.path), owner, (), branch.conditions,
            )
            return


# -- EA3011: a dead-letter queue whose type does not fit its source ------------------------------

TOPIC = "AWS::SNS::Topic"
_FIFO_KEYS = {QUEUE: "FifoQueue", TOPIC: "FifoTopic"}


@dataclass(frozen=True)
class _Kind:
    """One branch of a queue's or topic's type."""

    fifo: bool
    name: str  # 'Jobs' (a resource of this template) or the name in a literal ARN

    def __str__(self) -> str:
        return f"{'FIFO' if self.fifo else 'standard'} {self.name}"


def _kinds(t: Template, logical_id: str | None, written: Any = None) -> list[Branch]:
    """Whether the queue or topic is FIFO, on each branch; a literal ARN outside the template is
    FIFO when its name ends in `.fifo` (the names of FIFO queues and topics must), and a queue's
    or topic's ARN that does not is standard; unknown gives nothing."""
    resource = t.resources.get(logical_id or "")
    if resource is None:
        text = t.resolver.text(written) if written is not None else None
        if not isinstance(text, str) or not text.startswith("arn:"):
            return []
        parts = text.split(":")
        label = {"sqs": "queue", "sns": "topic"}.get(parts[2] if len(parts) > 2 else "")
        if text.endswith(".fifo"):
            return [Branch(_Kind(True, f"{label or 'resource'} '{parts[-1]}'"))]
        if label is not None and len(parts) == 6 and parts[-1]:
            return [Branch(_Kind(False, f"{label} '{parts[-1]}'"))]
        return []
    key = _FIFO_KEYS.get(resource.type)
    if key is None:
        return []
    label = f"{'queue' if resource.type == QUEUE else 'topic'} '{resource.logical_id}'"
    kinds = []
    for branch in t.branches(resource.properties.get(key)):
        if branch.value in (None, NO_VALUE) or str(branch.value).lower() in ("true", "false"):
            fifo = str(branch.value).lower() == "true"
            kinds.append(Branch(_Kind(fifo, label), branch.conditions))
    return kinds


def _dlq_kinds(t: Template, edge: Edge) -> tuple[Path, list[Branch]]:
    site = _dlq_site(t, edge.path)
    written = t.prop_at(site)
    return site, _kinds(t, edge.target, written.raw if written is not None else None)


def _subscription_topic(m: Model, edge: Edge) -> str | None:
    """The topic of the subscription (or SAM SNS event) that declares a subscription DLQ."""
    for subscribes in m.graph.of_kind(SUBSCRIBES):
        if subscribes.owner == edge.owner and edge.path[: len(subscribes.settings)] == \
                subscribes.settings:
            return subscribes.source
    return None


def _target_service(t: Template, edge: Edge) -> str:
    """'EventBridge Scheduler' or 'EventBridge' for a target DLQ."""
    owner = t.resources[edge.owner]
    if owner.type == "AWS::Scheduler::Schedule":
        return "EventBridge Scheduler"
    if owner.type in sam.EVENT_OWNERS and "Events" in edge.path:
        event = t.prop_at(edge.path[: edge.path.index("Events") + 2])
        kind = event.raw.get("Type") if event is not None and isinstance(event.raw, dict) else None
        return "EventBridge Scheduler" if kind == "ScheduleV2" else "EventBridge"
    return "EventBridge"


# What fits each role: the source's own type (None), or standard only (False).
_STANDARD_ONLY = {
    TARGET_DLQ: "{service} only sends to standard queues (a FIFO queue is rejected as a "
                "dead-letter queue)",
    FUNCTION_DLQ: "Lambda only supports a standard SQS queue or standard SNS topic as a "
                  "dead-letter queue",
    FUNCTION_ON_FAILURE: "Lambda only supports a standard SQS queue or standard SNS topic as "
                         "an on-failure destination; deliveries to a FIFO one fail",
}


def dead_letter_queue_type_mismatch(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in m.graph.of_kind(DEAD_LETTERS):
        if edge.role in (QUEUE_REDRIVE, SUBSCRIPTION_DLQ):
            yield from _same_type_required(m, rule, edge)
        elif edge.role in _STANDARD_ONLY:
            yield from _standard_required(t, rule, edge)


def _same_type_required(m: Model, rule: Rule, edge: Edge) -> Iterator[Hit]:
    t = m.template
    source_id = edge.source if edge.role == QUEUE_REDRIVE else _subscription_topic(m, edge)
    site, dlq_kinds = _dlq_kinds(t, edge)
    cases = combine(_kinds(t, source_id), dlq_kinds, _exists(edge))
    for (source, dlq, _), when in cases:
        if source.fifo == dlq.fifo:
            continue
        if edge.role == QUEUE_REDRIVE:
            text = (f"{source} redrives to {dlq}: SQS requires a dead-letter queue of the same "
                    "type as its source queue")
        else:
            text = (f"The subscription to {source} has {dlq} as its dead-letter queue: a FIFO "
                    "topic's subscriptions take FIFO dead-letter queues, a standard topic's "
                    "standard ones")
        yield rule.hit(
            text[0].upper() + text[1:],
            Place(site), t.declared_id(edge.owner),
            _places(t, source_id, edge.target), when,
        )


def _standard_required(t: Template, rule: Rule, edge: Edge) -> Iterator[Hit]:
    site, dlq_kinds = _dlq_kinds(t, edge)
    for (dlq, _), when in combine(dlq_kinds, _exists(edge)):
        if not dlq.fifo:
            continue
        reason = _STANDARD_ONLY[edge.role or ""].format(service=_target_service(t, edge))
        yield rule.hit(
            f"{_sender(t, edge)} sends its failures to {dlq}: {reason}; use a standard one",
            Place(site), t.declared_id(edge.owner), _places(t, edge.target), when,
        )


def _sender(t: Template, edge: Edge) -> str:
    if edge.role in (FUNCTION_DLQ, FUNCTION_ON_FAILURE):
        return f"Function '{edge.source}'"
    if "Events" in edge.path:
        name = edge.path[edge.path.index("Events") + 1]
        return f"Event '{name}' of '{edge.owner}'"
    kind = "schedule" if t.resources[edge.owner].type == "AWS::Scheduler::Schedule" else "rule"
    return f"The target of {kind} '{edge.owner}'"


def _places(t: Template, *logical_ids: str | None) -> list[Place]:
    return [Place(t.resources[i].path, key=True, message=f"'{i}'")
            for i in logical_ids if i in t.resources]


# -- EA3007: an SQS batch above 10 without a batching window -------------------------------------

SQS_BATCH_LIMIT_WITHOUT_WINDOW = 10


def _batch_path(edge: Edge) -> Path:
    """A mapping's or SAM event's BatchSize; SAM's `SqsSubscription` has its own."""
    if edge.sam_event == "SNS":
        return (*edge.settings, "SqsSubscription", "BatchSize")
    return (*edge.settings, "BatchSize")


def _batch(t: Template, edge: Edge) -> list[Branch]:
    default = t.default(MAPPING, "BatchSize.SQS")
    path = _batch_path(edge)
    return _seconds(t, t.prop_at(path) or Value(default, path, default=True), default)


def _source_kinds(t: Template, edge: Edge) -> list[Branch]:
    """Whether the polled queue is FIFO; [unknown] when it cannot be told."""
    written = t.prop_at(_arn_site(t, edge) or (*edge.settings, "EventSourceArn"))
    kinds = _kinds(t, edge.source, written.raw if written is not None else None)
    return kinds or [Branch(None)]


def _sqs_mappings(m: Model) -> Iterator[Edge]:
    """Every event source mapping (resource or SAM event) that polls an SQS queue."""
    for edge in m.graph.of_kind(INVOKES, POLL):
        if edge.origin == "sqs":
            yield edge


def sqs_batch_window_required(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in _sqs_mappings(m):
        cases = combine(_batch(t, edge), _window(t, edge), _source_kinds(t, edge), _exists(edge))
        for (batch, window, kind, _), when in cases:
            fifo = bool(kind and kind.fifo)
            if batch.number <= SQS_BATCH_LIMIT_WITHOUT_WINDOW or (window.number >= 1 and not fifo):
                continue
            if fifo:
                text = (f"BatchSize {batch.number:g} on {kind}: a FIFO queue takes at most 10 "
                        "records per batch and no batching window, so Lambda rejects the "
                        "mapping; set BatchSize to 10 or less")
            else:
                text = (f"BatchSize {batch.number:g} above 10 on {kind or 'an SQS queue'} without "
                        "MaximumBatchingWindowInSeconds of at least 1: Lambda rejects the event "
                        "source mapping; add MaximumBatchingWindowInSeconds: 1 (or more)")
            yield rule.hit(text, batch.place(), t.declared_id(edge.owner),
                           [at_edge(edge, "event source mapping"),
                            *_places(t, edge.source)], when)


# -- EA3009: a destination on a queue or broker mapping -------------------------------------------

# Event sources whose mappings take no DestinationConfig, with what keeps their failures instead.
_NO_DESTINATION = {
    "sqs": ("an SQS queue", "; give the queue a RedrivePolicy with a dead-letter queue instead"),
    "mq": ("an Amazon MQ broker", "; configure redelivery and a dead-letter queue on the broker"),
    "docdb": ("a DocumentDB change stream", ""),
}


def sqs_mapping_with_destination(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in m.graph.of_kind(INVOKES, POLL):
        source, advice = _NO_DESTINATION.get(edge.origin or "", (None, ""))
        config = t.prop_at((*edge.settings, "DestinationConfig"))
        if source is None or config is None or edge.sam_event == "SNS":
            continue
        for found in alternatives(config.raw, config.path, edge.conditions, t.known_conditions):
            if found.value in (None, NO_VALUE_REF):
                continue
            yield rule.hit(
                f"DestinationConfig on an event source mapping of {source}: Lambda only "
                "takes a destination for Kinesis, DynamoDB Streams, MSK and self-managed Kafka "
                f"sources and rejects this mapping{advice}",
                Place(found.path, key=found.path == config.path), t.declared_id(edge.owner),
                [at_edge(edge, "event source mapping"), *_places(t, edge.source)],
                found.conditions,
            )



# -- WA3005: a dead-letter queue that keeps messages no longer than its source -------------------


def _retention(t: Template, queue: Resource) -> list[Branch]:
    default = t.default(QUEUE, "MessageRetentionPeriod")
    return _seconds(t, t.effective(queue, "MessageRetentionPeriod"), default)


MAX_RETENTION = 1209600  # 14 days


def _retention_advice(kept: _Seconds) -> str:
    if kept.number >= MAX_RETENTION:
        return ("shorten the source queue's retention: no queue keeps messages longer than "
                "14 days")
    return (f"set the DLQ's MessageRetentionPeriod above {kept.number:.0f} s ({MAX_RETENTION} "
            "s, 14 days, is the maximum)")


def _days(kept: _Seconds) -> str:
    """'345600 s (4 days, the default)', '90 s'."""
    days = kept.number / 86400
    parts = [f"{days:g} day{'s' if days != 1 else ''}"] if days >= 1 else []
    parts += ["the default"] if kept.default else []
    return f"{kept.number:.0f} s" + (f" ({', '.join(parts)})" if parts else "")


def dlq_retention_shorter(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in m.graph.of_kind(DEAD_LETTERS):
        source = t.resources.get(edge.source or "")
        dlq = t.resources.get(edge.target or "")
        if edge.role != QUEUE_REDRIVE or source is None or dlq is None or dlq.type != QUEUE:
            continue
        cases = combine(_kinds(t, source.logical_id), _retention(t, source), _retention(t, dlq),
                        _exists(edge))
        for (kind, kept, dlq_kept, _), when in cases:
            if kind.fifo or dlq_kept.number > kept.number:
                continue
            yield rule.hit(
                f"Dead-letter queue '{dlq.logical_id}' keeps messages {_days(dlq_kept)}, no longer "
                f"than its source queue '{source.logical_id}' ({_days(kept)}): a standard queue's "
                "message "
                "keeps its original enqueue time when it is moved, so it can expire from the "
                f"DLQ at once; {_retention_advice(kept)}",
                dlq_kept.place(),
                dlq.logical_id,
                [kept.place("source queue retention"), Place(_dlq_site(t, edge.path),
                                                             message="redrive policy")],
                when,
            )


# -- WA3006: a queue consumed by Lambda that gives up after fewer than 5 receives ----------------

RECOMMENDED_MAX_RECEIVE = 5
_SUB_TOKEN = re.compile(r"\$\{[^}]*\}")  # any `${...}` of a Sub


def _max_receive_counts(t: Template, queue: Resource) -> Iterator[Located]:
    """Each `maxReceiveCount` of the queue's RedrivePolicy (a mapping, a JSON string or a `Sub`
    or `Join` of one), on each `Fn::If` branch, located where it is written."""
    policy = t.prop(queue, "RedrivePolicy")
    if policy is None:
        return
    for found in alternatives(policy.raw, policy.path, (), t.known_conditions):
        value = found.value
        if isinstance(value, dict) and set(value) == {"Fn::Join"}:
            value = {"Fn::Sub": join_as_sub(value["Fn::Join"])}
        if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
            sub = value["Fn::Sub"]
            value = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(value, str):
            try:
                parsed = json.loads(_SUB_TOKEN.sub("${}", value))  # a substitution: unknown
            except ValueError:
                continue
            count = parsed.get("maxReceiveCount") if isinstance(parsed, dict) else None
            yield Located(count, found.path, found.conditions)
        elif isinstance(value, dict) and "maxReceiveCount" in value:
            yield from alternatives(value["maxReceiveCount"], (*found.path, "maxReceiveCount"),
                                    found.conditions, t.known_conditions)


def lambda_queue_low_max_receive(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    seen: set[tuple[str, Path, Conditions]] = set()
    for edge, queue in _consumers(m):
        for count in _max_receive_counts(t, queue):
            for branch in within(t.branches(count.value), count.conditions):
                number = as_number(branch.value)
                when = merge_conditions(branch.conditions, edge.conditions)
                key = (queue.logical_id, count.path, when or ())
                if number is None or number >= RECOMMENDED_MAX_RECEIVE or when is None \
                        or key in seen:
                    continue
                seen.add(key)
                yield rule.hit(
                    f"Queue '{queue.logical_id}' moves a message to its dead-letter queue after "
                    f"{number:g} receive{'s' if number != 1 else ''}, and a Lambda function "
                    "consumes it: receives that end in throttling or a failed batch count too, "
                    "so messages that would have succeeded end up in the DLQ; set "
                    f"maxReceiveCount to at least {RECOMMENDED_MAX_RECEIVE}, as AWS recommends",
                    Place(count.path), queue.logical_id,
                    [at_edge(edge, "consumer")], when,
                )


# -- IA3008: an SQS batch that fails as a unit ---------------------------------------------------

REPORT_FAILURES = "ReportBatchItemFailures"


def _reports_failures(t: Template, edge: Edge) -> list[Branch]:
    """On each branch, whether the mapping sets `FunctionResponseTypes: [ReportBatchItemFailures]`
    (None when it cannot be told)."""
    written = t.prop_at((*edge.settings, "FunctionResponseTypes"))
    if written is None:
        return [Branch(False)]
    found = []
    for branch in t.branches(written):
        value = branch.value
        if value is NO_VALUE or value is None:
            found.append(Branch(False, branch.conditions))
        elif isinstance(value, list):
            texts = [t.resolver.one(item) for item in value]
            known = all(isinstance(x, str) for x in texts)
            found.append(Branch(REPORT_FAILURES in texts or (None if not known else False),
                                branch.conditions))
    return found


def sqs_batch_without_partial_response(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in _sqs_mappings(m):
        if edge.sam_event == "SNS":
            continue  # SAM's SqsSubscription takes no FunctionResponseTypes
        cases = combine(_batch(t, edge), _reports_failures(t, edge), _exists(edge))
        for (batch, reports, _), when in cases:
            if batch.number <= 1 or reports is not False:
                continue
            where = at_edge(edge, "") if batch.default else batch.place()
            yield rule.hit(
                f"An SQS batch of up to {batch.number:g} messages"
                f"{' (default 10)' if batch.default else ''} without FunctionResponseTypes: "
                f"[{REPORT_FAILURES}]: when one message fails, the whole batch returns to the "
                "queue and the messages that succeeded are processed again; add "
                f"FunctionResponseTypes: [{REPORT_FAILURES}] and return the failed message ids",
                where, t.declared_id(edge.owner),
                [*([] if batch.default else [at_edge(edge, "event source mapping")]),
                 *_places(t, edge.source)], when,
            )


# -- IA3010: a dead-letter queue nobody is alerted about -----------------------------------------

ALARM = "AWS::CloudWatch::Alarm"


def _alarm_metrics(alarm: Resource) -> Iterator[dict[str, Any]]:
    """The metrics an alarm watches: its own, or each `MetricStat.Metric` of a metric-math alarm."""
    yield alarm.properties
    metrics = alarm.properties.get("Metrics")
    for query in metrics if isinstance(metrics, list) else ():
        stat = query.get("MetricStat") if isinstance(query, dict) else None
        metric = stat.get("Metric") if isinstance(stat, dict) else None
        if isinstance(metric, dict):
            yield metric


def _watched_queue_names(t: Template, metric: dict[str, Any]) -> Iterator[Any]:
    """The `QueueName` dimension values of an AWS/SQS metric (None when one is unknown)."""
    if t.resolver.one(metric.get("Namespace")) != "AWS/SQS":
        return
    dimensions = metric.get("Dimensions")
    for dimension in dimensions if isinstance(dimensions, list) else ():
        if isinstance(dimension, dict) and t.resolver.one(dimension.get("Name")) == "QueueName":
            yield dimension.get("Value")


def _alarmed_queues(t: Template) -> set[str] | None:
    """The queues of this template an alarm watches; None when an SQS alarm names a queue that
    cannot be told (it may be any of them)."""
    by_name = {t.resolver.text(q.properties.get("QueueName")): q.logical_id
               for q in t.of_type(QUEUE) if "QueueName" in q.properties}
    watched: set[str] = set()
    for alarm in t.of_type(ALARM):
        for metric in _alarm_metrics(alarm):
            for raw in _watched_queue_names(t, metric):
                ref = t.reference(raw)
                name = t.resolver.text(raw)
                if ref is not None:
                    watched.add(ref.logical_id)
                elif name is not None and name in by_name:
                    watched.add(by_name[name])
                elif name is None:
                    return None
    return watched


def dlq_without_alarm(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    watched = _alarmed_queues(t)
    if watched is None:
        return
    dead_letters: dict[str, list[Edge]] = {}
    for edge in m.graph.of_kind(DEAD_LETTERS):
        queue = t.resources.get(edge.target or "")
        if queue is not None and queue.type == QUEUE and queue.logical_id not in watched:
            dead_letters.setdefault(queue.logical_id, []).append(edge)
    for queue_id, edges in dead_letters.items():
        queue = t.resources[queue_id]
        when = () if any(not e.conditions for e in edges) else edges[0].conditions
        yield rule.hit(
            f"Dead-letter queue '{queue_id}' has no CloudWatch alarm in this template: failed "
            "messages pile up there unseen until they expire; add an AWS::CloudWatch::Alarm on "
            "Namespace AWS/SQS, MetricName ApproximateNumberOfMessagesVisible, Dimensions "
            f"[{{Name: QueueName, Value: !GetAtt {queue_id}.QueueName}}], Threshold 0, "
            "ComparisonOperator GreaterThanThreshold",
            Place(queue.path, key=True), t.declared_id(queue_id),
            [at_edge(e, "sends failures here") for e in edges[:3]], when,
        )
