"""Graph stage: typed edges between the resources of one template, built once in one pass.

Every wiring is an edge, whether a CloudFormation resource, an OpenAPI body or a SAM event
declares it (an `SQS` event and an `AWS::Lambda::EventSourceMapping` are one `invokes(poll)`
edge), and each edge carries the conditions under which it exists: the `Condition`s of the
resources it joins and the `Fn::If` branches it was found in.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from . import sam
from .intrinsics import Conditions, Located, Ref, alternatives, items, merge_conditions
from .load import Path
from .sam import ASYNC, POLL, SYNC, is_default_http_route
from .template import FUNCTION_TYPES, QUEUE, SAM_FUNCTION, Resource, Template

INVOKES = "invokes"  # source -> function (mode: sync, async, poll)
TARGETS = "targets"  # EventBridge rule, schedule or pipe -> the resource it delivers to
READS = "reads"  # pipe -> the queue or stream it polls
DEAD_LETTERS = "dead_letters"  # whose failures -> the queue or topic that receives them
SUBSCRIBES = "subscribes"  # topic -> endpoint
PERMITS = "permits"  # principal service -> function, queue or topic
NOTIFIES = "notifies"  # bucket -> the function, queue or topic its S3 notifications deliver to
CONTAINS = "contains"  # DB cluster -> each DB instance; stream -> each enhanced fan-out consumer

# Edge.role of dead_letters: whose failures the dead-letter queue (or destination) receives.
QUEUE_REDRIVE = "queue-redrive"  # a queue's RedrivePolicy
FUNCTION_DLQ = "function-dlq"  # a function's DeadLetterConfig / SAM DeadLetterQueue
FUNCTION_ON_FAILURE = "function-on-failure"  # EventInvokeConfig OnFailure of async invokes
MAPPING_ON_FAILURE = "mapping-on-failure"  # an event source mapping's OnFailure destination
SUBSCRIPTION_DLQ = "subscription-dlq"  # an SNS subscription's RedrivePolicy
TARGET_DLQ = "target-dlq"  # an EventBridge rule or Scheduler target's DeadLetterConfig
PIPE_DLQ = "pipe-dlq"  # an EventBridge pipe's source DeadLetterConfig
BUS_DLQ = "bus-dlq"  # an event bus's DeadLetterConfig

# An edge's qualifier when it cannot be resolved: it may be any version or alias.
ANY_QUALIFIER = "*"
# A permits edge's principal when it cannot be resolved: it may be any principal.
UNKNOWN_PRINCIPAL = "?"
# A permits edge's principal for a policy statement allowing everyone (`Principal: "*"`).
ANY_PRINCIPAL = "*"

# Event source resource type -> Edge.origin of an event source mapping reading from it.
SOURCE_ORIGINS = {
    QUEUE: "sqs",
    "AWS::Kinesis::Stream": "kinesis",
    "AWS::Kinesis::StreamConsumer": "kinesis",
    "AWS::DynamoDB::Table": "dynamodb",
    "AWS::DynamoDB::GlobalTable": "dynamodb",
    "AWS::Serverless::SimpleTable": "dynamodb",
    "AWS::MSK::Cluster": "msk",
    "AWS::MSK::ServerlessCluster": "msk",
    "AWS::AmazonMQ::Broker": "mq",
    "AWS::DocDB::DBCluster": "docdb",
}
ARN_ORIGINS = {"sqs": "sqs", "kinesis": "kinesis", "dynamodb": "dynamodb", "kafka": "msk",
               "mq": "mq", "rds": "docdb"}
STREAM_ORIGINS = frozenset({"kinesis", "dynamodb"})

# ARN service -> (the resource types such ARNs name, the property holding the name)
NAMED_BY_ARN: dict[str, tuple[tuple[str, ...], str]] = {
    "sqs": ((QUEUE,), "QueueName"),
    "sns": (("AWS::SNS::Topic",), "TopicName"),
    "lambda": ((*sorted(FUNCTION_TYPES),), "FunctionName"),
    "states": (("AWS::StepFunctions::StateMachine", sam.SAM_STATE_MACHINE), "StateMachineName"),
    "events": (("AWS::Events::EventBus",), "Name"),
    "kinesis": (("AWS::Kinesis::Stream",), "Name"),
}
_ARN_NAME = re.compile(
    r"^arn:[^:]*:(?P<service>[^:]+):[^:]*:[^:]*:"
    r"(?:(?:function|stateMachine):|event-bus/|stream/)?(?P<name>[^:/]+)(?::[^:/]+)?$"
)


@dataclass(frozen=True)
class Edge:
    kind: str
    source: str | None  # logical id of the source; None when it is outside this template
    target: str | None
    owner: str  # the resource that declares the wiring (mapping, rule, SAM function, ...)
    path: Path  # where the wiring is declared: a location for findings
    settings: Path  # the mapping that holds the wiring's own settings
    origin: str | None = None  # invokes/targets/reads: what delivers (sqs, rest-api, events, ...)
    mode: str | None = None  # invokes: sync, async or poll
    protocol: str | None = None  # subscribes: lambda, sqs, https, ...
    principal: str | None = None  # permits: the service principal
    role: str | None = None  # dead_letters: whose failures (QUEUE_REDRIVE, FUNCTION_DLQ, ...)
    sam_event: str | None = None  # the SAM event type that declares the wiring
    qualifier: str | None = None  # the function version or alias invoked or configured
    scheduled: bool = False  # a schedule (rule ScheduleExpression, Scheduler, SAM Schedule*)
    conditions: Conditions = ()  # under which the edge exists


@dataclass
class Graph:
    # logical id -> its `Condition`, for the resources that have one
    conditional: dict[str, Conditions] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    _by_kind: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    _by_target: dict[str | None, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    _by_source: dict[str | None, list[Edge]] = field(default_factory=lambda: defaultdict(list))

    def add(self, edge: Edge) -> None:
        """Add the edge under the `Condition`s of the resources it joins (never when those
        contradict its own conditions: such a wiring never exists)."""
        joined = [self.conditional[i] for i in (edge.owner, edge.source, edge.target)
                  if i in self.conditional]
        if joined:
            conditions = merge_conditions(edge.conditions, *joined)
            if conditions is None:
                return
            edge = replace(edge, conditions=conditions)
        self.edges.append(edge)
        self._by_kind[edge.kind].append(edge)
        self._by_target[edge.target].append(edge)
        self._by_source[edge.source].append(edge)

    def of_kind(self, kind: str, mode: str | None = None) -> Iterator[Edge]:
        return (e for e in self._by_kind.get(kind, ()) if mode is None or e.mode == mode)

    def into(self, target: str, kind: str) -> list[Edge]:
        return [e for e in self._by_target.get(target, ()) if e.kind == kind]

    def out_of(self, source: str, kind: str) -> list[Edge]:
        return [e for e in self._by_source.get(source, ()) if e.kind == kind]

    def invoked_functions(self) -> dict[str, list[Edge]]:
        """Function logical id -> the invokes edges into it."""
        functions: dict[str, list[Edge]] = {}
        for edge in self.of_kind(INVOKES):
            if edge.target is not None:
                functions.setdefault(edge.target, []).append(edge)
        return functions

    def is_dead_letter_target(self, logical_id: str) -> bool:
        return bool(self.into(logical_id, DEAD_LETTERS))


class _Wiring:
    """What the builders share for one template: the template, the graph and a name index."""

    def __init__(self, t: Template) -> None:
        self.t = t
        self.graph = Graph({i: r.conditions for i, r in t.resources.items() if r.condition})
        self._named: dict[tuple[str, str], str | None] = {}
        for service, (types, key) in NAMED_BY_ARN.items():
            for resource in t.of_type(*types):
                name = t.resolver.text(resource.properties.get(key))
                if name:  # two resources of one name: unknown which one
                    known = (service, name) in self._named
                    self._named[(service, name)] = None if known else resource.logical_id

    def resource_id(self, raw: Any) -> str | None:
        """The resource of this template `raw` names: a `Ref`/`GetAtt`/`Sub` of it, or an ARN
        (literal, `Sub` or `Join` over pseudo parameters, a parameter's value) ending in its
        name (`arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs-dlq`)."""
        ref = self.t.reference(raw)
        if ref is not None:
            return ref.logical_id
        match = _ARN_NAME.match(self.t.resolver.text(raw) or "")
        return self._named.get((match["service"], match["name"])) if match else None

    def function(self, raw: Any) -> tuple[str, str | None] | None:
        """The function of this template that `raw` names, with the alias/version qualifier."""
        ref = self.t.reference(raw)
        if ref is not None:
            return self._follow_to_function(ref, 0)
        text = self.t.resolver.text(raw) or ""
        match = _ARN_NAME.match(text)
        function_id = self._named.get(("lambda", match["name"])) if match else None
        if function_id is None or match is None:
            return None
        qualifier = text.split(":")[7] if text.count(":") >= 7 else None
        return function_id, qualifier

    def named_function(self, name: str) -> tuple[str, str | None] | None:
        """The function of this template whose FunctionName is `name`."""
        function_id = self._named.get(("lambda", name))
        return (function_id, None) if function_id else None

    def _follow_to_function(self, ref: Ref, depth: int) -> tuple[str, str | None] | None:
        resource = self.t.resources.get(ref.logical_id)
        if resource is None or depth > 3:
            return None
        if resource.type in FUNCTION_TYPES:
            if ref.qualifier is not None and "{" in ref.qualifier:  # ${stageVariables.alias}
                return resource.logical_id, ANY_QUALIFIER
            return resource.logical_id, ref.qualifier or self._sam_qualifier(resource, ref)
        if resource.type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            inner = self.t.reference(resource.properties.get("FunctionName"))
            found = self._follow_to_function(inner, depth + 1) if inner else None
            if found:
                return found[0], self._qualifier(resource)
        return None

    def _sam_qualifier(self, function: Resource, ref: Ref) -> str | None:
        """`!Ref Fn.Alias` is the alias SAM publishes (AutoPublishAlias), `!Ref Fn.Version` the
        version it publishes (also `!GetAtt Fn.Version.FunctionArn`)."""
        published = (ref.attribute or "").split(".")[0]
        if published == "Alias":
            return _auto_alias(self, function) or ANY_QUALIFIER
        return ANY_QUALIFIER if published == "Version" else None

    def _qualifier(self, resource: Resource) -> str:
        if resource.type == "AWS::Lambda::Version":
            return ANY_QUALIFIER  # a number CloudFormation assigns
        name = self.t.resolver.one(resource.properties.get("Name"))
        return name if isinstance(name, str) else ANY_QUALIFIER

    def qualifier(self, raw: Any) -> str | None:
        """A `Qualifier` property: `$LATEST` (or none) means unqualified invocations."""
        if raw is None:
            return None
        value = self.t.resolver.one(raw)
        if value == "$LATEST":
            return None
        return str(value) if isinstance(value, str | int) else ANY_QUALIFIER

    def add(self, kind: str, source: str | None, target: str | None, owner: Resource,
            path: Path, settings: Path | None = None, **fields: Any) -> None:
        self.graph.add(Edge(kind, source, target, owner.logical_id, path,
                            settings if settings is not None else path, **fields))

    def invoke(self, function: tuple[str, str | None] | None, source: str | None,
               owner: Resource, path: Path, settings: Path | None = None, **fields: Any) -> None:
        if function is not None:
            self.add(INVOKES, source, function[0], owner, path, settings,
                     qualifier=function[1], **fields)

    def dead_letter(self, owner: Resource, raw: Any, path: Path, role: str,
                    conditions: Conditions = (), qualifier: str | None = None) -> None:
        """A dead-letter queue or destination, on each `Fn::If` branch that sets one."""
        for found in self.values(raw, path, conditions):
            if found.value is not None and found.value != NO_VALUE_REF:
                self.add(DEAD_LETTERS, owner.logical_id, self.resource_id(found.value), owner,
                         path, role=role, conditions=found.conditions, qualifier=qualifier)

    def values(self, raw: Any, path: Path, conditions: Conditions = ()) -> list[Located]:
        return alternatives(raw, path, conditions, self.t.known_conditions)

    def items(self, raw: Any, path: Path, conditions: Conditions = ()) -> list[Located]:
        return items(raw, path, conditions, self.t.known_conditions)

    def enabled(self, raw: Any, disabled: Callable[[Any], bool]) -> list[Conditions]:
        """The condition sets under which a rule or schedule is enabled (its `State`...)."""
        return [
            branch.conditions for branch in self.t.branches(raw)
            if not disabled(branch.value)
        ]


Builder = Callable[[_Wiring, Resource], None]


def build_graph(template: Template) -> Graph:
    wiring = _Wiring(template)
    for resource in template.resources.values():
        builder = BUILDERS.get(resource.type)
        if builder is not None:
            builder(wiring, resource)
        if resource.declared_at is None:
            _embedded_connectors(wiring, resource)
    return wiring.graph


# -- helpers --------------------------------------------------------------------------------------


NO_VALUE_REF = {"Ref": "AWS::NoValue"}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_disabled_state(value: Any) -> bool:
    return isinstance(value, str) and value.upper() == "DISABLED"


def _json_mapping(value: Any) -> dict[str, Any]:
    """RedrivePolicy and friends may be a mapping or a JSON string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return _mapping(value)


def _redrive_targets(w: _Wiring, raw: Any, path: Path) -> list[Located]:
    """The deadLetterTargetArn of a RedrivePolicy given as a mapping, a JSON string, a `Fn::Sub`
    JSON string or an `Fn::If` of those (one entry per branch that sets it)."""
    targets = []
    for policy in w.values(raw, path):
        sub = policy.value.get("Fn::Sub") if isinstance(policy.value, dict) \
            and len(policy.value) == 1 else None
        if isinstance(policy.value, dict) and set(policy.value) == {"Fn::Join"}:
            sub = join_as_sub(policy.value["Fn::Join"])
        if sub is not None:
            target = _sub_json_field(sub, "deadLetterTargetArn")
        else:
            target = _json_mapping(policy.value).get("deadLetterTargetArn")
        targets += [found for found in w.values(target, policy.path, policy.conditions)
                    if found.value is not None]
    return targets


def _sub_json_field(sub: Any, key: str) -> Any:
    """`key` of a JSON document built with `Fn::Sub`, as an `Fn::Sub` of its own."""
    text, variables = (sub[0], sub[1]) if isinstance(sub, list) and len(sub) == 2 else (sub, None)
    if not isinstance(text, str):
        return None
    tokens: list[str] = []

    def hide(match: Any) -> str:
        tokens.append(match.group(0))
        return f"@@{len(tokens) - 1}@@"

    value = _json_mapping(re.sub(r"\$\{[^}]*\}", hide, text)).get(key)
    if not isinstance(value, str):
        return None
    value = re.sub(r"@@(\d+)@@", lambda m: tokens[int(m.group(1))], value)
    whole = re.fullmatch(r"\$\{([^}!]*)\}", value)
    if whole and isinstance(variables, dict) and whole.group(1) in variables:
        return variables[whole.group(1)]  # `${Dlq}` with `Dlq: !GetAtt Queue.Arn`
    return {"Fn::Sub": [value, variables] if variables is not None else value}


def join_as_sub(join: Any) -> list[Any] | None:
    """An `Fn::Join` of strings and intrinsics (the older way to build a JSON document) as the
    equivalent `Fn::Sub` argument: the text with `${JoinN}` for each intrinsic, and those."""
    if not (isinstance(join, list) and len(join) == 2 and isinstance(join[0], str)
            and isinstance(join[1], list)):
        return None
    variables: dict[str, Any] = {}
    texts = []
    for part in join[1]:
        if isinstance(part, str):
            texts.append(part.replace("${", "${!"))
        else:
            name = f"Join{len(variables)}"
            variables[name] = part
            texts.append("${" + name + "}")
    return [join[0].join(texts), variables]


def _arn_origin(w: _Wiring, raw: Any) -> str | None:
    """What an event source is: from the referenced resource's type, or the ARN's service."""
    source = w.t.resource_at(raw)
    if source is not None:
        return SOURCE_ORIGINS.get(source.type)
    text = w.t.resolver.text(raw)
    if text is None:
        sub = raw.get("Fn::Sub") if isinstance(raw, dict) and len(raw) == 1 else None
        sub = sub[0] if isinstance(sub, list) and sub else sub
        text = re.sub(r"\$\{[^}]*\}", "-", sub) if isinstance(sub, str) else None
    if isinstance(text, str) and text.startswith("arn:"):
        parts = text.split(":")
        return ARN_ORIGINS.get(parts[2]) if len(parts) > 2 else None
    return None


# -- Lambda ---------------------------------------------------------------------------------------


def _event_source_mapping(w: _Wiring, r: Resource) -> None:
    props = r.properties
    # Kept when the function is outside the template: the mapping's own settings still count.
    raw = props.get("FunctionName")
    function, qualifier = (w.function(raw) or _function_by_name(w, w.t.resolver.text(raw) or "")
                           or (None, None))
    for source in w.values(props.get("EventSourceArn"), (*r.properties_path, "EventSourceArn")):
        origin = "kafka" if "SelfManagedEventSource" in props else _arn_origin(w, source.value)
        w.add(INVOKES, w.resource_id(source.value), function, r, r.path, r.properties_path,
              origin=origin or "unknown", mode=POLL, qualifier=qualifier,
              conditions=source.conditions)
    _on_failure_destination(w, r, props.get("DestinationConfig"),
                            (*r.properties_path, "DestinationConfig"), ("Destination",))


def _on_failure_destination(w: _Wiring, owner: Resource, raw: Any, path: Path,
                            tail: tuple[str, ...]) -> None:
    """A mapping's `DestinationConfig.OnFailure`, on each `Fn::If` branch of the config."""
    for config in w.values(raw, path):
        on_failure = _mapping(_mapping(config.value).get("OnFailure"))
        w.dead_letter(owner, on_failure.get("Destination"), (*config.path, "OnFailure", *tail),
                      MAPPING_ON_FAILURE, config.conditions)


def _lambda_function(w: _Wiring, r: Resource) -> None:
    path = (*r.properties_path, "DeadLetterConfig")
    for config in w.values(r.properties.get("DeadLetterConfig"), path):
        target = _mapping(config.value).get("TargetArn")
        w.dead_letter(r, target, (*config.path, "TargetArn"), FUNCTION_DLQ, config.conditions,
                      ANY_QUALIFIER)


def _event_invoke_config(w: _Wiring, r: Resource) -> None:
    function = w.function(r.properties.get("FunctionName"))
    if function is None:
        return
    qualifier = w.qualifier(r.properties.get("Qualifier"))
    _invoke_destinations(w, r, function[0], (*r.properties_path, "DestinationConfig"),
                         ("OnFailure",), qualifier)


def _invoke_destinations(w: _Wiring, owner: Resource, function: str, path: Path,
                         keys: tuple[str, ...], qualifier: str | None) -> None:
    """An `OnFailure` destination for asynchronous invokes, on each branch that sets one (SAM
    creates the queue or topic itself when only its `Type` is given)."""
    t = w.t
    for branch in t.values_along(t.prop_at(path), keys):
        if isinstance(branch.value, dict):
            target = w.resource_id(branch.value.get("Destination"))
            w.graph.add(Edge(DEAD_LETTERS, function, target, owner.logical_id, path, path,
                             role=FUNCTION_ON_FAILURE, qualifier=qualifier,
                             conditions=branch.conditions))


# A FunctionName without the ARN prefix: a name or partial ARN, with an optional qualifier.
_FUNCTION_NAME = re.compile(
    r"^(?:[^:]+:function:)?(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9_$-]+))?$"
)


def _function_by_name(w: _Wiring, text: str) -> tuple[str, str | None] | None:
    """The function of this template a `FunctionName` of Lambda's name formats names:
    `my-function`, `my-function:live` (alias or version), `123456789012:function:my-function`."""
    match = _FUNCTION_NAME.match(text)
    found = w.named_function(match["name"]) if match else None
    if found is None or match is None:
        return None
    qualifier = match["qualifier"]
    return found[0], None if qualifier in (None, "$LATEST") else qualifier


def _permission(w: _Wiring, r: Resource) -> None:
    """A permission for a function of this template; one whose function cannot be told (a
    parameter without default...) has target None, one whose principal cannot,
    UNKNOWN_PRINCIPAL. Its source is the resource of this template its `SourceArn` names."""
    function = w.function(r.properties.get("FunctionName"))
    name = w.t.resolver.text(r.properties.get("FunctionName"))
    if function is None and name:  # my-function, my-function:live, 123456789012:function:f
        function = _function_by_name(w, name)
    raw = r.properties.get("Principal")
    principal = w.t.resolver.one(raw)
    if not isinstance(principal, str):  # `!Sub apigateway.${AWS::URLSuffix}`, a parameter...
        principal = w.t.resolver.text(raw) or UNKNOWN_PRINCIPAL
    source_arn = r.properties.get("SourceArn")
    source = w.resource_id(source_arn) if source_arn is not None else None
    if function is not None:
        w.add(PERMITS, source, function[0], r, r.path, r.properties_path, principal=principal,
              qualifier=function[1])
    elif name is None:
        w.add(PERMITS, source, None, r, r.path, r.properties_path, principal=principal)


# -- SAM ------------------------------------------------------------------------------------------


def _sam_function(w: _Wiring, r: Resource) -> None:
    t = w.t
    dlq = t.prop(r, "DeadLetterQueue")
    for config in w.values(dlq.raw, dlq.path) if dlq is not None else ():
        w.dead_letter(r, _mapping(config.value).get("TargetArn"), config.path, FUNCTION_DLQ,
                      config.conditions, ANY_QUALIFIER)
    alias = _auto_alias(w, r)
    invoke_config = t.prop(r, "EventInvokeConfig")
    if invoke_config is not None:
        _invoke_destinations(w, r, r.logical_id, invoke_config.path,
                             ("DestinationConfig", "OnFailure"), alias)
    covered = _default_route_apis(w, r, alias)
    for name, event, row in sam.events_of(r.type, r.properties):
        _sam_function_event(w, r, name, event, row, covered, alias)


def _auto_alias(w: _Wiring, r: Resource) -> str | None:
    """With AutoPublishAlias, SAM's events and EventInvokeConfig use the alias."""
    alias = w.t.prop(r, "AutoPublishAlias")
    if alias is None or alias.raw in (None, ""):
        return None
    name = w.t.resolver.one(alias.raw)
    return name if isinstance(name, str) else ANY_QUALIFIER


def _default_route_apis(w: _Wiring, r: Resource, alias: str | None) -> set[str]:
    """HttpApi ids (repr) where the function has the `$default` route: SAM's permission for it
    covers every route, so SAM adds none for the function's other routes on that API (unless
    AutoPublishAlias is set: then it does not notice)."""
    if alias is not None:
        return set()
    return {
        repr(_mapping(event.get("Properties")).get("ApiId"))
        for _, event, _ in sam.events_of(r.type, r.properties)
        if event["Type"] == "HttpApi" and is_default_http_route(_mapping(event.get("Properties")))
    }


def _sam_function_event(w: _Wiring, r: Resource, name: str, event: dict[str, Any],
                        row: sam.EventType, covered: set[str], alias: str | None) -> None:
    props = _mapping(event.get("Properties"))
    path: Path = (*r.properties_path, "Events", name)
    settings: Path = (*path, "Properties")
    kind = event["Type"]
    source = w.resource_id(props.get(row.source_key)) if row.source_key else None
    origin, mode, principal = row.origin, row.mode, row.principal
    permitted: str | None = r.logical_id
    if kind == "HttpApi" and not is_default_http_route(props):
        principal = None if repr(props.get("ApiId")) in covered else principal
    if kind in ("Api", "HttpApi"):
        settings, modes = _body_integration(w, r, row, props, settings)
    else:
        modes = [mode]
    # `Topic: !If [...]`: one subscription per branch
    topics: list[tuple[str | None, Conditions]] = [
        (w.resource_id(found.value), found.conditions)
        for found in w.values(props.get("Topic"), (*settings, "Topic"))
    ] if kind == "SNS" else []
    sources: list[tuple[str | None, Conditions]] = [(source, ())]
    if kind == "SNS":
        sources = topics
        endpoint, protocol = r.logical_id, "lambda"
        subscription = props.get("SqsSubscription")
        if subscription not in (None, False, "false"):
            # SAM puts a queue in between (its own, or QueueArn): the function polls the queue,
            # and a queue policy (not a Lambda permission) lets the topic send to it.
            queue_arn = _mapping(subscription).get("QueueArn")
            own_queue = sam.SQS_SUBSCRIPTION_QUEUE.format(owner=r.logical_id, event=name)
            origin, modes, protocol = "sqs", [POLL], "sqs"
            source = endpoint = permitted = (
                w.resource_id(queue_arn) if queue_arn is not None else own_queue
            )
            sources = [(source, ())]
        for subscribed, chosen in topics:
            w.add(SUBSCRIBES, subscribed, endpoint, r, path, settings, protocol=protocol,
                  sam_event=kind, conditions=chosen)
        for redrive in _redrive_targets(w, props.get("RedrivePolicy"), (*settings,
                                                                       "RedrivePolicy")):
            w.dead_letter(r, redrive.value, redrive.path, SUBSCRIPTION_DLQ, redrive.conditions)
    _on_failure_destination(w, r, props.get("DestinationConfig"),
                            (*settings, "DestinationConfig"), ())
    enabled = _sam_event_enabled(w, row, props)
    if row.rule:
        for conditions in enabled:
            _sam_rule_target(w, r, name, kind, row, props, conditions)
    if row.mode == POLL and kind != "SNS" and row.source_key:  # `Queue: !If [...]`...
        sources = [(w.resource_id(found.value), found.conditions) for found in
                   w.values(props.get(row.source_key), (*settings, row.source_key))]
    for conditions in enabled:
        for polled, chosen in sources:
            merged = merge_conditions(conditions, chosen)
            for each in modes if merged is not None else ():
                w.add(INVOKES, polled, r.logical_id, r, path, settings, origin=origin,
                      mode=each, sam_event=kind, qualifier=alias, scheduled=row.scheduled,
                      conditions=merged)
    if principal:
        # SAM limits the permission (SourceArn) to the topic, or to the rule it creates
        allowed = [(f"{r.logical_id}{name}" if row.rule else None, ())] if kind != "SNS" \
            else topics
        for source_arn, chosen in allowed:
            w.add(PERMITS, source_arn, permitted, r, path, settings, principal=principal,
                  sam_event=kind, conditions=chosen)
    if kind == "S3":  # SAM writes the notification into the bucket (and makes it DependsOn)
        w.add(NOTIFIES, source, r.logical_id, r, path, settings, origin="s3",
              protocol="lambda", sam_event=kind)
    dlq = props.get("DeadLetterConfig")
    if principal == "events.amazonaws.com" and isinstance(dlq, dict) and "Arn" not in dlq:
        # SAM creates the dead-letter queue and a policy letting EventBridge send to it
        w.add(PERMITS, None, None, r, path, (*settings, "DeadLetterConfig"), principal=principal,
              sam_event=kind)


def _sam_event_enabled(w: _Wiring, row: sam.EventType, props: dict[str, Any]) -> list[Conditions]:
    """A SAM rule or schedule event with `Enabled: false` or `State: DISABLED` delivers nothing."""
    if not row.rule:
        return [()]
    enabled = [
        merged
        for on in w.enabled(props.get("Enabled", True), lambda v: v in (False, "false", "False"))
        for state in w.enabled(props.get("State", "ENABLED"), _is_disabled_state)
        if (merged := merge_conditions(on, state)) is not None
    ]
    return enabled


def _sam_rule_target(w: _Wiring, owner: Resource, name: str, kind: str, row: sam.EventType,
                     props: dict[str, Any], conditions: Conditions) -> None:
    """The rule or schedule SAM creates for the event, targeting its function or state machine,
    with the event's DeadLetterConfig."""
    path: Path = (*owner.properties_path, "Events", name)
    settings: Path = (*path, "Properties")
    w.add(TARGETS, None, owner.logical_id, owner, path, settings, origin=row.origin,
          sam_event=kind, scheduled=row.scheduled, conditions=conditions)
    dlq = props.get("DeadLetterConfig")
    w.dead_letter(owner, _mapping(dlq).get("Arn"), (*settings, "DeadLetterConfig", "Arn"),
                  TARGET_DLQ, conditions)


def _sam_state_machine(w: _Wiring, r: Resource) -> None:
    for name, event, row in sam.events_of(r.type, r.properties):
        props = _mapping(event.get("Properties"))
        if row.rule:
            for conditions in _sam_event_enabled(w, row, props):
                _sam_rule_target(w, r, name, event["Type"], row, props, conditions)


def _body_integration(w: _Wiring, function: Resource, row: sam.EventType, props: dict[str, Any],
                      settings: Path) -> tuple[Path, list[str]]:
    """An `Api`/`HttpApi` event on an API whose inline OpenAPI body integrates this path and
    method: the body's integration holds the settings (timeout, invocation type)."""
    api = w.t.resource_at(props.get(row.source_key or ""))
    body = w.t.prop(api, "DefinitionBody") if api is not None else None
    route, method = props.get("Path"), props.get("Method")
    if body is None or not isinstance(route, str) or not isinstance(method, str):
        return settings, [SYNC]
    operations = _mapping(_mapping(_mapping(body.raw).get("paths")).get(route))
    for key in (method, method.lower(), "x-amazon-apigateway-any-method"):
        integration = _mapping(operations.get(key)).get("x-amazon-apigateway-integration")
        if isinstance(integration, dict):
            where = (*body.path, "paths", route, key, "x-amazon-apigateway-integration")
            return where, _invocation_modes(w, integration, "requestParameters")
    return settings, [SYNC]


def _sam_api(w: _Wiring, r: Resource) -> None:
    body = w.t.prop(r, "DefinitionBody")
    origin = "http-api" if r.type == "AWS::Serverless::HttpApi" else "rest-api"
    if body is not None:
        _openapi(w, r, body.raw, body.path, origin)
        authorizers = w.t.prop(r, "Auth", "Authorizers")
        managed = _mapping(authorizers.raw) if authorizers is not None else {}
        _openapi_authorizers(w, r, body.raw, body.path, origin, managed)
    if origin == "http-api":
        _sam_http_authorizers(w, r)


def _sam_http_authorizers(w: _Wiring, r: Resource) -> None:
    """The Lambda authorizers of a SAM HttpApi: unlike a REST Api's, SAM grants the API no
    permission to invoke them unless `EnableFunctionDefaultPermissions` is true."""
    authorizers = w.t.prop(r, "Auth", "Authorizers")
    if authorizers is None:
        return
    for name, authorizer in _mapping(authorizers.raw).items():
        settings = _mapping(authorizer)
        enabled = w.t.resolver.one(settings.get("EnableFunctionDefaultPermissions"))
        function = w.function(settings.get("FunctionArn"))
        where = (*authorizers.path, name)
        if function is None:
            continue
        if enabled in (True, "true"):  # SAM adds a permission for the API on the function
            w.add(PERMITS, r.logical_id, function[0], r, where,
                  principal="apigateway.amazonaws.com", qualifier=function[1])
        elif enabled in (None, False, "false"):
            w.invoke(function, r.logical_id, r, (*where, "FunctionArn"), where,
                     origin="http-api" + AUTHORIZER, mode=SYNC)


# -- API Gateway ----------------------------------------------------------------------------------

_INVOCATION_TYPE = "integration.request.header.X-Amz-Invocation-Type"


def _invocation_modes(w: _Wiring, integration: dict[str, Any], key: str) -> list[str]:
    """A Lambda integration is synchronous unless a non-proxy integration sets the
    `X-Amz-Invocation-Type` header to 'Event'; mapped from a request header, it can be both."""
    if str(w.t.resolver.one(integration.get("type", integration.get("Type")))).lower() != "aws":
        return [SYNC]
    header = w.t.resolver.one(_mapping(integration.get(key)).get(_INVOCATION_TYPE))
    if not isinstance(header, str):
        return [SYNC]
    if header.strip() == "'Event'":
        return [ASYNC]
    return [SYNC, ASYNC] if header.startswith("method.request.") else [SYNC]


def _openapi(w: _Wiring, r: Resource, body: Any, base: Path, origin: str) -> None:
    paths = _mapping(body).get("paths")
    for route, operations in _mapping(paths).items():
        for method, operation in _mapping(operations).items():
            integration = _mapping(operation).get("x-amazon-apigateway-integration")
            if not isinstance(integration, dict):
                continue
            where = (*base, "paths", route, method, "x-amazon-apigateway-integration")
            for mode in _invocation_modes(w, integration, "requestParameters"):
                w.invoke(w.function(integration.get("uri")), r.logical_id, r, where,
                         origin=origin, mode=mode)


# An origin with this suffix is a Lambda authorizer of that kind of API ("rest-api-authorizer").
AUTHORIZER = "-authorizer"
# Where OpenAPI 3 and Swagger 2 declare security schemes (and so Lambda authorizers).
_SECURITY_SCHEMES = (("components", "securitySchemes"), ("securityDefinitions",))


def _openapi_authorizers(w: _Wiring, r: Resource, body: Any, base: Path, origin: str,
                         managed: Iterable[str] = ()) -> None:
    """API Gateway invokes the function of each `x-amazon-apigateway-authorizer` with an
    `authorizerUri` (SAM's own authorizers, `managed`, get their permission from SAM)."""
    for section in _SECURITY_SCHEMES:
        schemes: Any = body
        for key in section:
            schemes = _mapping(schemes).get(key)
        for name, scheme in _mapping(schemes).items():
            authorizer = _mapping(scheme).get("x-amazon-apigateway-authorizer")
            if name in managed or not isinstance(authorizer, dict):
                continue
            where = (*base, *section, name, "x-amazon-apigateway-authorizer")
            w.invoke(w.function(authorizer.get("authorizerUri")), r.logical_id, r,
                     (*where, "authorizerUri"), where, origin=origin + AUTHORIZER, mode=SYNC)


def _api_authorizer(w: _Wiring, r: Resource) -> None:
    """A REST API's Lambda authorizer (TOKEN or REQUEST): API Gateway invokes its function."""
    w.invoke(w.function(r.properties.get("AuthorizerUri")),
             w.resource_id(r.properties.get("RestApiId")), r,
             (*r.properties_path, "AuthorizerUri"), r.properties_path,
             origin="rest-api" + AUTHORIZER, mode=SYNC)


def _v2_origin(w: _Wiring, api: Resource | None) -> str:
    """http-api or websocket-api by the API's protocol; api-v2 when it cannot be told."""
    if api is not None and api.type == "AWS::Serverless::HttpApi":
        return "http-api"
    protocol = w.t.resolver.one(api.properties.get("ProtocolType")) if api is not None else None
    return {"HTTP": "http-api", "WEBSOCKET": "websocket-api"}.get(str(protocol), "api-v2")


def _api_v2_authorizer(w: _Wiring, r: Resource) -> None:
    """An HTTP or WebSocket API's Lambda authorizer (REQUEST; JWT ones invoke no function)."""
    api = w.t.resource_at(r.properties.get("ApiId"))
    origin = _v2_origin(w, api)
    w.invoke(w.function(r.properties.get("AuthorizerUri")), api.logical_id if api else None, r,
             (*r.properties_path, "AuthorizerUri"), r.properties_path,
             origin=origin + AUTHORIZER, mode=SYNC)


def _rest_api(w: _Wiring, r: Resource) -> None:
    if "Body" in r.properties:
        _openapi(w, r, r.properties["Body"], (*r.properties_path, "Body"), "rest-api")
        _openapi_authorizers(w, r, r.properties["Body"], (*r.properties_path, "Body"),
                             "rest-api")


def _http_api(w: _Wiring, r: Resource) -> None:
    protocol = w.t.resolver.one(r.properties.get("ProtocolType"))
    if protocol != "HTTP" and not (protocol is None and "Body" in r.properties):
        return  # an OpenAPI Body without ProtocolType imports an HTTP API
    if "Body" in r.properties:
        _openapi(w, r, r.properties["Body"], (*r.properties_path, "Body"), "http-api")
        _openapi_authorizers(w, r, r.properties["Body"], (*r.properties_path, "Body"),
                             "http-api")
    if "Target" in r.properties:  # quick create: a Lambda proxy integration on $default
        w.invoke(w.function(r.properties["Target"]), r.logical_id, r,
                 (*r.properties_path, "Target"), r.properties_path, origin="http-api", mode=SYNC)


def _api_method(w: _Wiring, r: Resource) -> None:
    integration = _mapping(r.properties.get("Integration"))
    if w.t.resolver.one(integration.get("Type")) not in ("AWS", "AWS_PROXY"):
        return
    settings = (*r.properties_path, "Integration")
    for mode in _invocation_modes(w, integration, "RequestParameters"):
        w.invoke(w.function(integration.get("Uri")), w.resource_id(r.properties.get("RestApiId")),
                 r, (*settings, "Uri"), settings, origin="rest-api", mode=mode)


def _api_v2_integration(w: _Wiring, r: Resource) -> None:
    api = w.t.resource_at(r.properties.get("ApiId"))
    origin = _v2_origin(w, api)
    w.invoke(w.function(r.properties.get("IntegrationUri")), api.logical_id if api else None, r,
             (*r.properties_path, "IntegrationUri"), r.properties_path, origin=origin, mode=SYNC)


# -- push sources ---------------------------------------------------------------------------------


# NotificationConfiguration list -> (the key naming each destination, NOTIFIES protocol)
S3_NOTIFICATIONS = {
    "LambdaConfigurations": ("Function", "lambda"),
    "QueueConfigurations": ("Queue", "sqs"),
    "TopicConfigurations": ("Topic", "sns"),
}


def _bucket(w: _Wiring, r: Resource) -> None:
    """Notifies edges located at each destination value (`Function`, `Queue`, `Topic`), and
    the asynchronous invocation of each function."""
    base = (*r.properties_path, "NotificationConfiguration")
    for config in w.values(r.properties.get("NotificationConfiguration"), base):
        for key, (field_name, protocol) in S3_NOTIFICATIONS.items():
            listed = _mapping(config.value).get(key)
            for item in w.items(listed, (*config.path, key), config.conditions):
                raw = _mapping(item.value).get(field_name)
                function = w.function(raw) if protocol == "lambda" else None
                target = function[0] if function else w.resource_id(raw)
                w.add(NOTIFIES, r.logical_id, target, r, (*item.path, field_name), item.path,
                      origin="s3", protocol=protocol, conditions=item.conditions,
                      qualifier=function[1] if function else None)
                w.invoke(function, r.logical_id, r, item.path, origin="s3", mode=ASYNC,
                         conditions=item.conditions)


def _cdk_bucket_notifications(w: _Wiring, r: Resource) -> None:
    """What CDK's `bucket.addEventNotification` creates: a custom resource that puts the
    bucket's notification configuration (the S3 API's shape) on the bucket it names."""
    bucket = w.resource_id(r.properties.get("BucketName"))
    notifications = _mapping(r.properties.get("NotificationConfiguration"))
    path = (*r.properties_path, "NotificationConfiguration", "LambdaFunctionConfigurations")
    for item in w.items(notifications.get("LambdaFunctionConfigurations"), path):
        w.invoke(w.function(_mapping(item.value).get("LambdaFunctionArn")), bucket, r, item.path,
                 origin="s3", mode=ASYNC, conditions=item.conditions)


def _subscription(w: _Wiring, r: Resource) -> None:
    protocol = w.t.resolver.one(r.properties.get("Protocol"))
    endpoint = r.properties.get("Endpoint")
    topic = w.resource_id(r.properties.get("TopicArn"))
    w.add(SUBSCRIBES, topic, w.resource_id(endpoint), r, r.path, r.properties_path,
          protocol=str(protocol))
    if protocol == "lambda":
        w.invoke(w.function(endpoint), topic, r, r.path, r.properties_path, origin="sns",
                 mode=ASYNC)
    for redrive in _redrive_targets(w, r.properties.get("RedrivePolicy"),
                                    (*r.properties_path, "RedrivePolicy")):
        w.dead_letter(r, redrive.value, redrive.path, SUBSCRIPTION_DLQ, redrive.conditions)


def _topic(w: _Wiring, r: Resource) -> None:
    for item in w.items(r.properties.get("Subscription"), (*r.properties_path, "Subscription")):
        protocol = w.t.resolver.one(_mapping(item.value).get("Protocol"))
        endpoint = _mapping(item.value).get("Endpoint")
        w.add(SUBSCRIBES, r.logical_id, w.resource_id(endpoint), r, item.path,
              protocol=str(protocol), conditions=item.conditions)
        if protocol == "lambda":
            w.invoke(w.function(endpoint), r.logical_id, r, item.path, origin="sns", mode=ASYNC,
                     conditions=item.conditions)


def _target(w: _Wiring, r: Resource, target: Located, origin: str, scheduled: bool) -> None:
    """A rule's or schedule's target: any resource, a function also invoked asynchronously."""
    arn_path = (*target.path, "Arn")
    for arn in w.values(_mapping(target.value).get("Arn"), arn_path, target.conditions):
        w.add(TARGETS, r.logical_id, w.resource_id(arn.value), r, target.path, origin=origin,
              scheduled=scheduled, conditions=arn.conditions)
        w.invoke(w.function(arn.value), r.logical_id, r, target.path, origin=origin,
                 mode=ASYNC, scheduled=scheduled, conditions=arn.conditions)
    for config in w.values(_mapping(target.value).get("DeadLetterConfig"),
                           (*target.path, "DeadLetterConfig"), target.conditions):
        w.dead_letter(r, _mapping(config.value).get("Arn"), (*config.path, "Arn"), TARGET_DLQ,
                      config.conditions)


def _events_rule(w: _Wiring, r: Resource) -> None:
    scheduled = "ScheduleExpression" in r.properties
    for enabled in w.enabled(r.properties.get("State", "ENABLED"), _is_disabled_state):
        path = (*r.properties_path, "Targets")
        for target in w.items(r.properties.get("Targets"), path, enabled):
            _target(w, r, target, "events", scheduled)


def _schedule(w: _Wiring, r: Resource) -> None:
    for enabled in w.enabled(r.properties.get("State", "ENABLED"), _is_disabled_state):
        for target in w.values(r.properties.get("Target"), (*r.properties_path, "Target"),
                               enabled):
            _target(w, r, target, "scheduler", True)


def _event_bus(w: _Wiring, r: Resource) -> None:
    dlq = _mapping(r.properties.get("DeadLetterConfig")).get("Arn")
    w.dead_letter(r, dlq, (*r.properties_path, "DeadLetterConfig", "Arn"), BUS_DLQ)


# The pipe sources that take a DeadLetterConfig (an SQS source keeps its own redrive policy).
PIPE_SOURCE_PARAMETERS = ("KinesisStreamParameters", "DynamoDBStreamParameters")


def _pipe(w: _Wiring, r: Resource) -> None:
    props = r.properties
    source = props.get("Source")
    parameters = (*r.properties_path, "SourceParameters")
    w.add(READS, r.logical_id, w.resource_id(source), r, (*r.properties_path, "Source"),
          parameters, origin=_arn_origin(w, source) or "unknown")
    for key in PIPE_SOURCE_PARAMETERS:
        config = _mapping(_mapping(_mapping(props.get("SourceParameters")).get(key)).get(
            "DeadLetterConfig"))
        w.dead_letter(r, config.get("Arn"), (*parameters, key, "DeadLetterConfig", "Arn"),
                      PIPE_DLQ)
    target = props.get("Target")
    w.add(TARGETS, r.logical_id, w.resource_id(target), r, (*r.properties_path, "Target"),
          (*r.properties_path, "TargetParameters"), origin="pipes")
    invocation = w.t.resolver.one(_mapping(_mapping(props.get("TargetParameters")).get(
        "LambdaFunctionParameters")).get("InvocationType"))
    w.invoke(w.function(target), r.logical_id, r, (*r.properties_path, "Target"),
             origin="pipes", mode=ASYNC if invocation == "FIRE_AND_FORGET" else SYNC)


def _stream_consumer(w: _Wiring, r: Resource) -> None:
    """A consumer of a stream of this template (one of a stream elsewhere has no edge)."""
    stream = w.resource_id(r.properties.get("StreamARN"))
    if stream is not None:
        w.add(CONTAINS, stream, r.logical_id, r, (*r.properties_path, "StreamARN"),
              r.properties_path)


def _ses_receipt_rule(w: _Wiring, r: Resource) -> None:
    """Lambda actions of an active receipt rule (`Enabled` defaults to false), invoked
    asynchronously unless `InvocationType` is RequestResponse."""
    rule = _mapping(r.properties.get("Rule"))
    for enabled in w.enabled(rule.get("Enabled", False), lambda v: v not in (True, "true")):
        path = (*r.properties_path, "Rule", "Actions")
        for action in w.items(rule.get("Actions"), path, enabled):
            invoke = _mapping(_mapping(action.value).get("LambdaAction"))
            if not invoke:
                continue
            invocation = w.t.resolver.one(invoke.get("InvocationType", "Event"))
            w.invoke(w.function(invoke.get("FunctionArn")), r.logical_id, r, action.path,
                     origin="ses", mode=SYNC if invocation == "RequestResponse" else ASYNC,
                     conditions=action.conditions)


def _log_subscription(w: _Wiring, r: Resource) -> None:
    w.invoke(w.function(r.properties.get("DestinationArn")),
             w.resource_id(r.properties.get("LogGroupName")), r, r.path, r.properties_path,
             origin="logs", mode=ASYNC)


def _iot_rule(w: _Wiring, r: Resource) -> None:
    payload = _mapping(r.properties.get("TopicRulePayload"))
    for action in w.items(payload.get("Actions"),
                          (*r.properties_path, "TopicRulePayload", "Actions")):
        function = _mapping(_mapping(action.value).get("Lambda")).get("FunctionArn")
        w.invoke(w.function(function), r.logical_id, r, action.path, origin="iot", mode=ASYNC,
                 conditions=action.conditions)


def _target_group(w: _Wiring, r: Resource) -> None:
    if w.t.resolver.one(r.properties.get("TargetType")) != "lambda":
        return
    for item in w.items(r.properties.get("Targets"), (*r.properties_path, "Targets")):
        w.invoke(w.function(_mapping(item.value).get("Id")), r.logical_id, r, item.path,
                 origin="alb", mode=SYNC, conditions=item.conditions)


def _distribution(w: _Wiring, r: Resource) -> None:
    """Lambda@Edge: each function association of a cache behavior invokes its function (at the
    associated version or alias) synchronously; the association holds EventType."""
    config = _mapping(r.properties.get("DistributionConfig"))
    base = (*r.properties_path, "DistributionConfig")
    behaviors = w.values(config.get("DefaultCacheBehavior"), (*base, "DefaultCacheBehavior"))
    behaviors += w.items(config.get("CacheBehaviors"), (*base, "CacheBehaviors"))
    for behavior in behaviors:
        path = (*behavior.path, "LambdaFunctionAssociations")
        associations = _mapping(behavior.value).get("LambdaFunctionAssociations")
        for item in w.items(associations, path, behavior.conditions):
            arn = _mapping(item.value).get("LambdaFunctionARN")
            w.invoke(w.function(arn), r.logical_id, r, item.path, origin="cloudfront", mode=SYNC,
                     conditions=item.conditions)


def _user_pool(w: _Wiring, r: Resource) -> None:
    for trigger, raw in _mapping(r.properties.get("LambdaConfig")).items():
        where = (*r.properties_path, "LambdaConfig", trigger)
        w.invoke(w.function(raw), r.logical_id, r, where, origin="cognito", mode=SYNC)


# -- queues and policies --------------------------------------------------------------------------


def _queue(w: _Wiring, r: Resource) -> None:
    for redrive in _redrive_targets(w, r.properties.get("RedrivePolicy"),
                                    (*r.properties_path, "RedrivePolicy")):
        w.dead_letter(r, redrive.value, redrive.path, QUEUE_REDRIVE, redrive.conditions)


def _resource_policy(key: str, single: bool = False) -> Builder:
    """Queue and topic policies (`Queues`/`Topics` lists; the inline policies' one `Queue`/
    `Topic`): a PERMITS edge per service the policy allows, ANY_PRINCIPAL for `*`, and
    UNKNOWN_PRINCIPAL when a statement cannot be read (an intrinsic): it may allow anyone. The
    edge's source is the resource of this template the statement's `aws:SourceArn` limits it to
    (None: any source)."""
    def build(w: _Wiring, r: Resource) -> None:
        grants = sorted(_allowed_services(w, r.properties.get("PolicyDocument")),
                        key=lambda grant: (grant[0], grant[1] or ""))
        raw = r.properties.get(key)
        listed = [raw] if single and raw is not None else raw
        for item in w.items(listed, (*r.properties_path, key)):
            target = w.resource_id(item.value)
            for service, source in grants:
                w.add(PERMITS, source, target, r, r.path, r.properties_path, principal=service,
                      conditions=item.conditions)

    return build


def _allowed_services(w: _Wiring, document: Any) -> set[tuple[str, str | None]]:
    """The (service principal, source) pairs a policy document allows (UNKNOWN_PRINCIPAL: some
    that cannot be told, under an intrinsic or in a statement that cannot be read)."""
    statements = _json_mapping(document).get("Statement")  # None under an intrinsic
    statements = statements if isinstance(statements, list) else [statements]
    grants: set[tuple[str, str | None]] = set()
    for statement in statements:
        effect = _mapping(statement).get("Effect")
        if not isinstance(statement, dict) or effect not in ("Allow", "Deny"):
            grants.add((UNKNOWN_PRINCIPAL, None))
        elif effect == "Allow":
            sources = _source_arns(w, statement.get("Condition"))
            grants.update((service, source) for service in
                          _principal_services(statement.get("Principal")) for source in sources)
    return grants


# The condition operators that compare `aws:SourceArn` with the ARNs of given resources.
SOURCE_ARN_OPERATORS = frozenset({"ArnEquals", "ArnLike", "StringEquals", "StringLike"})


def _source_arns(w: _Wiring, condition: Any) -> list[str | None]:
    """The resources of this template a statement's `aws:SourceArn` condition limits it to:
    [None] when it has none, or names anything else (an ARN pattern, a parameter...)."""
    limits: list[set[str]] = []
    for operator, tests in _mapping(condition).items():
        if str(operator).removesuffix("IfExists") not in SOURCE_ARN_OPERATORS:
            continue
        for key, value in _mapping(tests).items():
            if str(key).lower() != "aws:sourcearn":
                continue
            named = [w.resource_id(v) for v in (value if isinstance(value, list) else [value])]
            if not named or None in named:
                return [None]
            limits.append({n for n in named if n is not None})
    if not limits:
        return [None]
    return sorted(set.intersection(*limits))


def _principal_services(principal: Any) -> list[str]:
    """The service principals a statement names: ANY_PRINCIPAL when it allows everyone
    (`Principal: "*"` or `{AWS: "*"}`), who include every service, and UNKNOWN_PRINCIPAL for
    one written with an intrinsic."""
    if principal == "*" or _mapping(principal).get("AWS") in ("*", ["*"]):
        return [ANY_PRINCIPAL]
    service = _mapping(principal).get("Service")
    services = service if isinstance(service, list) else [service]
    return [s if isinstance(s, str) else UNKNOWN_PRINCIPAL for s in services if s is not None]


def _function(w: _Wiring, r: Resource) -> None:
    (_sam_function if r.type == SAM_FUNCTION else _lambda_function)(w, r)


# -- databases ------------------------------------------------------------------------------------

DB_CLUSTER = "AWS::RDS::DBCluster"


def _db_instance(w: _Wiring, r: Resource) -> None:
    """The cluster an instance joins: its `DBClusterIdentifier` refers to a cluster of this
    template, or names one (RDS identifiers are case-insensitive)."""
    raw = r.properties.get("DBClusterIdentifier")
    if raw is None:
        return
    cluster = w.t.resource_at(raw)
    if cluster is None:
        name = (w.t.resolver.text(raw) or "").lower()
        named = [c for c in w.t.of_type(DB_CLUSTER)
                 if name and (w.t.resolver.text(c.properties.get("DBClusterIdentifier")) or ""
                              ).lower() == name]
        cluster = named[0] if len(named) == 1 else None
    if cluster is not None and cluster.type == DB_CLUSTER:
        w.add(CONTAINS, cluster.logical_id, r.logical_id, r,
              (*r.properties_path, "DBClusterIdentifier"), r.properties_path)


# -- SAM connectors -------------------------------------------------------------------------------

# A connector's source type -> the service principal of the permission or policy SAM writes.
CONNECTOR_PRINCIPALS = {
    "AWS::S3::Bucket": "s3.amazonaws.com",
    "AWS::SNS::Topic": "sns.amazonaws.com",
    "AWS::Events::Rule": "events.amazonaws.com",
    "AWS::ApiGateway::RestApi": "apigateway.amazonaws.com",
    "AWS::ApiGatewayV2::Api": "apigateway.amazonaws.com",
    "AWS::Serverless::Api": "apigateway.amazonaws.com",
    "AWS::Serverless::HttpApi": "apigateway.amazonaws.com",
}


def _connector_end(w: _Wiring, end: Any) -> tuple[str | None, str | None]:
    """(logical id, type) of a connector's Source or Destination (`Id`, or `Type` + `Arn`)."""
    end = _mapping(end)
    if isinstance(end.get("Id"), str):
        resource = w.t.resources.get(end["Id"])
        return (resource.logical_id, resource.type) if resource else (None, None)
    kind = w.t.resolver.one(end.get("Type"))
    return w.resource_id(end.get("Arn")), kind if isinstance(kind, str) else None


def _connector_permits(w: _Wiring, owner: Resource, props: dict[str, Any], path: Path,
                       source: Any) -> None:
    """The permission or resource policy SAM writes for a connector with `Write` from a
    service source (an `S3` bucket to a function is a Lambda permission for s3)."""
    _, source_type = _connector_end(w, source)
    principal = CONNECTOR_PRINCIPALS.get(source_type or "")
    permissions = props.get("Permissions")
    if principal is None or not isinstance(permissions, list) or "Write" not in permissions:
        return
    destinations = props.get("Destination")
    for destination in destinations if isinstance(destinations, list) else [destinations]:
        target, _ = _connector_end(w, destination)
        w.add(PERMITS, None, target, owner, path, principal=principal)


def _connector(w: _Wiring, r: Resource) -> None:
    _connector_permits(w, r, r.properties, r.path, r.properties.get("Source"))


def _embedded_connectors(w: _Wiring, r: Resource) -> None:
    """A SAM `Connectors` attribute: connectors whose source is the resource declaring them."""
    body = _mapping(_mapping(w.t.document.data.get("Resources")).get(r.logical_id))
    for name, connector in _mapping(body.get("Connectors")).items():
        props = _mapping(_mapping(connector).get("Properties"))
        _connector_permits(w, r, props, (*r.path, "Connectors", name), {"Id": r.logical_id})


BUILDERS: dict[str, Builder] = {
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
    "AWS::Lambda::Function": _function,
    SAM_FUNCTION: _function,
    sam.SAM_STATE_MACHINE: _sam_state_machine,
    "AWS::Lambda::EventInvokeConfig": _event_invoke_config,
    "AWS::Lambda::Permission": _permission,
    "AWS::Serverless::Api": _sam_api,
    "AWS::Serverless::HttpApi": _sam_api,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGatewayV2::Api": _http_api,
    "AWS::ApiGateway::Method": _api_method,
    "AWS::ApiGatewayV2::Integration": _api_v2_integration,
    "AWS::ApiGateway::Authorizer": _api_authorizer,
    "AWS::ApiGatewayV2::Authorizer": _api_v2_authorizer,
    "AWS::S3::Bucket": _bucket,
    "Custom::S3BucketNotifications": _cdk_bucket_notifications,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SNS::Topic": _topic,
    "AWS::Events::Rule": _events_rule,
    "AWS::Events::EventBus": _event_bus,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::Pipes::Pipe": _pipe,
    "AWS::SES::ReceiptRule": _ses_receipt_rule,
    "AWS::Kinesis::StreamConsumer": _stream_consumer,
    "AWS::Logs::SubscriptionFilter": _log_subscription,
    "AWS::IoT::TopicRule": _iot_rule,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_group,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::CloudFront::Distribution": _distribution,
    QUEUE: _queue,
    "AWS::SQS::QueuePolicy": _resource_policy("Queues"),
    "AWS::SNS::TopicPolicy": _resource_policy("Topics"),
    "AWS::Serverless::Connector": _connector,
    "AWS::SQS::QueueInlinePolicy": _resource_policy("Queue", single=True),
    "AWS::SNS::TopicInlinePolicy": _resource_policy("TopicArn", single=True),
    "AWS::RDS::DBInstance": _db_instance,
}
