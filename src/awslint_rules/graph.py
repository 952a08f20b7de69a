"""Graph stage: typed edges between the resources of one template, built once in one pass.

SAM `Events` produce the same edges as their CloudFormation equivalents, so a check written
against an edge covers both (an `SQS` event and an `AWS::Lambda::EventSourceMapping` are one
`invokes(poll)` edge).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .intrinsics import Ref
from .load import Path
from .sam_expansion import is_default_http_route
from .template import FUNCTION_TYPES, SAM_FUNCTION, Resource, Template

INVOKES, DEAD_LETTERS, SUBSCRIBES, PERMITS = "invokes", "dead_letters", "subscribes", "permits"
SYNC, ASYNC, POLL = "sync", "async", "poll"
# dead_letters services that are on-failure destinations: of a function's asynchronous invokes
# (EventInvokeConfig), or of an event source mapping's batches
FUNCTION_ON_FAILURE, MAPPING_ON_FAILURE = "function-on-failure", "mapping-on-failure"

# SAM event type -> (service, invocation mode, source property, principal of SAM's permission)
SAM_EVENTS: dict[str, tuple[str, str, str | None, str | None]] = {
    "Api": ("rest-api", SYNC, "RestApiId", "apigateway.amazonaws.com"),
    "HttpApi": ("http-api", SYNC, "ApiId", "apigateway.amazonaws.com"),
    "AlexaSkill": ("alexa", SYNC, None, "alexa-appkit.amazon.com"),
    "Cognito": ("cognito", SYNC, "UserPool", "cognito-idp.amazonaws.com"),
    "S3": ("s3", ASYNC, "Bucket", "s3.amazonaws.com"),
    "SNS": ("sns", ASYNC, "Topic", "sns.amazonaws.com"),
    "Schedule": ("events", ASYNC, None, "events.amazonaws.com"),
    "CloudWatchEvent": ("events", ASYNC, "EventBusName", "events.amazonaws.com"),
    "EventBridgeRule": ("events", ASYNC, "EventBusName", "events.amazonaws.com"),
    "ScheduleV2": ("scheduler", ASYNC, None, None),
    "CloudWatchLogs": ("logs", ASYNC, "LogGroupName", "logs.amazonaws.com"),
    "IoTRule": ("iot", ASYNC, None, "iot.amazonaws.com"),
    "SQS": ("sqs", POLL, "Queue", None),
    "Kinesis": ("kinesis", POLL, "Stream", None),
    "DynamoDB": ("dynamodb", POLL, "Stream", None),
    "MSK": ("msk", POLL, "Stream", None),
    "MQ": ("mq", POLL, "Broker", None),
    "SelfManagedKafka": ("kafka", POLL, None, None),
    "DocumentDB": ("docdb", POLL, "Cluster", None),
}

# Event source resource type -> service of an event source mapping reading from it.
SOURCE_SERVICES = {
    "AWS::SQS::Queue": "sqs",
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
ARN_SERVICES = {"sqs": "sqs", "kinesis": "kinesis", "dynamodb": "dynamodb", "kafka": "msk",
                "mq": "mq", "rds": "docdb"}
STREAM_SERVICES = frozenset({"kinesis", "dynamodb"})


@dataclass(frozen=True)
class Edge:
    kind: str
    source: str | None  # logical id of the source; None when it is outside this template
    target: str | None
    service: str  # what the source is: sqs, kinesis, rest-api, events, sns, ...
    owner: str  # the resource that declares the wiring (mapping, rule, SAM function, ...)
    path: Path  # where the wiring is declared: a location for findings
    settings: Path  # the mapping that holds the wiring's own settings
    mode: str | None = None
    sam: bool = False
    qualifier: str | None = None


@dataclass
class Graph:
    edges: list[Edge] = field(default_factory=list)
    _by_kind: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    _by_target: dict[str | None, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    _by_source: dict[str | None, list[Edge]] = field(default_factory=lambda: defaultdict(list))

    def add(self, edge: Edge) -> None:
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


Builder = Callable[[Template, Resource, Graph], None]


def build_graph(template: Template) -> Graph:
    graph = Graph()
    for resource in template.resources.values():
        builder = BUILDERS.get(resource.type)
        if builder is not None:
            builder(template, resource, graph)
    return graph


# -- helpers --------------------------------------------------------------------------------------


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _function_target(t: Template, raw: Any) -> tuple[str, str | None] | None:
    """The function of this template that `raw` names, with the alias/version qualifier."""
    ref = t.reference(raw)
    return _follow_to_function(t, ref, 0) if ref else None


def _follow_to_function(t: Template, ref: Ref, depth: int) -> tuple[str, str | None] | None:
    resource = t.resources.get(ref.logical_id)
    if resource is None or depth > 3:
        return None
    if resource.type in FUNCTION_TYPES:
        alias_or_version = ref.attribute if ref.attribute in ("Alias", "Version") else None
        qualifier = ref.qualifier or alias_or_version
        return resource.logical_id, qualifier
    if resource.type in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
        inner = t.reference(resource.properties.get("FunctionName"))
        found = _follow_to_function(t, inner, depth + 1) if inner else None
        if found:
            return found[0], str(resource.properties.get("Name", resource.logical_id))
    return None


def _source_id(t: Template, raw: Any) -> str | None:
    ref = t.reference(raw)  # only ever names a resource of this template
    return ref.logical_id if ref else None


def _arn_service(t: Template, raw: Any) -> str | None:
    """The service of an event source: from the referenced resource's type, or a literal ARN."""
    source = t.resource_at(raw)
    if source is not None:
        return SOURCE_SERVICES.get(source.type)
    value = t.resolver.one(raw)
    sub = raw.get("Fn::Sub") if isinstance(raw, dict) and len(raw) == 1 else None
    sub = sub[0] if isinstance(sub, list) and sub else sub
    if not isinstance(value, str) and isinstance(sub, str):  # ${AWS::Region} etc. are unknown
        value = re.sub(r"\$\{[^}]*\}", "-", sub)  # but the service part of the ARN is literal
    if isinstance(value, str) and value.startswith("arn:"):
        parts = value.split(":")
        return ARN_SERVICES.get(parts[2]) if len(parts) > 2 else None
    return None


def _json_mapping(value: Any) -> dict[str, Any]:
    """RedrivePolicy and friends may be a mapping or a JSON string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return _mapping(value)


def _alternatives(raw: Any) -> list[Any]:
    """Both sides of an `Fn::If` (recursively), or the value itself."""
    argument = raw.get("Fn::If") if isinstance(raw, dict) and len(raw) == 1 else None
    if isinstance(argument, list) and len(argument) == 3:
        return [value for side in argument[1:] for value in _alternatives(side)]
    return [raw]


def _redrive_targets(raw: Any) -> list[Any]:
    """The deadLetterTargetArn of a RedrivePolicy given as a mapping, a JSON string, a `Fn::Sub`
    JSON string or an `Fn::If` of those (one entry per branch that sets it)."""
    targets = []
    for policy in _alternatives(raw):
        sub = policy.get("Fn::Sub") if isinstance(policy, dict) and len(policy) == 1 else None
        if sub is not None:
            target = _sub_json_field(sub, "deadLetterTargetArn")
        else:
            target = _json_mapping(policy).get("deadLetterTargetArn")
        targets.extend(value for value in _alternatives(target) if value is not None)
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
    return {"Fn::Sub": [value, variables] if variables is not None else value}


def _dead_letter(
    t: Template, graph: Graph, owner: Resource, raw: Any, path: Path, service: str
) -> None:
    if raw is None:
        return
    graph.add(Edge(DEAD_LETTERS, owner.logical_id, _source_id(t, raw), service, owner.logical_id,
                   path, path))


def _invoke(graph: Graph, target: tuple[str, str | None] | None, **fields: Any) -> None:
    if target is not None:
        graph.add(Edge(INVOKES, target=target[0], qualifier=target[1], **fields))


# -- Lambda ---------------------------------------------------------------------------------------


def _event_source_mapping(t: Template, r: Resource, graph: Graph) -> None:
    props = r.properties
    source = props.get("EventSourceArn")
    service = "kafka" if "SelfManagedEventSource" in props else _arn_service(t, source)
    # Kept when the function is outside the template: the mapping's own settings still count.
    function, qualifier = _function_target(t, props.get("FunctionName")) or (None, None)
    graph.add(Edge(INVOKES, _source_id(t, source), function, service or "unknown", r.logical_id,
                   r.path, r.properties_path, POLL, qualifier=qualifier))
    on_failure = _mapping(_mapping(props.get("DestinationConfig")).get("OnFailure"))
    _dead_letter(t, graph, r, on_failure.get("Destination"),
                 (*r.properties_path, "DestinationConfig", "OnFailure", "Destination"),
                 MAPPING_ON_FAILURE)


def _lambda_function(t: Template, r: Resource, graph: Graph) -> None:
    if r.type == SAM_FUNCTION:
        _sam_function(t, r, graph)
        return
    for branch in t.branches(r.properties.get("DeadLetterConfig")):  # may be an Fn::If
        target = _mapping(branch.value).get("TargetArn")
        _dead_letter(t, graph, r, target, (*r.properties_path, "DeadLetterConfig", "TargetArn"),
                     "function-dlq")


def _event_invoke_config(t: Template, r: Resource, graph: Graph) -> None:
    function = _function_target(t, r.properties.get("FunctionName"))
    if function is None:
        return
    path = (*r.properties_path, "DestinationConfig")
    _invoke_destinations(t, graph, function[0], r.logical_id, path, ("OnFailure",))


def _invoke_destinations(
    t: Template, graph: Graph, function: str, owner: str, path: Path, keys: tuple[str, ...]
) -> None:
    """An `OnFailure` destination for asynchronous invokes, on each branch that sets one (SAM
    creates the queue or topic itself when only its `Type` is given)."""
    for branch in t.values_along(t.prop_at(path), keys):
        if isinstance(branch.value, dict):
            target = _source_id(t, branch.value.get("Destination"))
            graph.add(Edge(DEAD_LETTERS, function, target, FUNCTION_ON_FAILURE, owner, path,
                           path))


def _permission(t: Template, r: Resource, graph: Graph) -> None:
    function = _function_target(t, r.properties.get("FunctionName"))
    principal = t.resolver.one(r.properties.get("Principal"))
    if function is not None and isinstance(principal, str):
        graph.add(Edge(PERMITS, None, function[0], principal, r.logical_id, r.path,
                       r.properties_path, qualifier=function[1]))


# -- SAM ------------------------------------------------------------------------------------------


def _sam_function(t: Template, r: Resource, graph: Graph) -> None:
    dlq = t.prop(r, "DeadLetterQueue")
    for branch in t.branches(dlq) if dlq is not None else ():  # may be an Fn::If
        if isinstance(branch.value, dict):
            _dead_letter(t, graph, r, branch.value.get("TargetArn"), dlq.path, "function-dlq")
    invoke_config = t.prop(r, "EventInvokeConfig")
    if invoke_config is not None:
        _invoke_destinations(t, graph, r.logical_id, r.logical_id, invoke_config.path,
                             ("DestinationConfig", "OnFailure"))
    events = r.properties.get("Events")
    covered = _default_route_apis(t, r, events)
    for name, event in (events.items() if isinstance(events, dict) else ()):
        if isinstance(event, dict) and isinstance(event.get("Type"), str) \
                and event["Type"] in SAM_EVENTS:
            _sam_event(t, r, graph, name, event, covered)


def _default_route_apis(t: Template, r: Resource, events: Any) -> set[str]:
    """HttpApi ids (repr) where the function has the `$default` route: SAM's permission for it
    covers every route, so SAM adds none for the function's other routes on that API (unless
    AutoPublishAlias is set: then it does not notice)."""
    alias = t.prop(r, "AutoPublishAlias")
    if alias is not None and alias.raw not in (None, ""):
        return set()
    return {
        repr(_mapping(event.get("Properties")).get("ApiId"))
        for event in _mapping(events).values()
        if isinstance(event, dict) and event.get("Type") == "HttpApi"
        and is_default_http_route(_mapping(event.get("Properties")))
    }


def _sam_event(
    t: Template, r: Resource, graph: Graph, name: str, event: dict[str, Any], covered: set[str]
) -> None:
    service, mode, source_key, principal = SAM_EVENTS[event["Type"]]
    props = _mapping(event.get("Properties"))
    path: Path = (*r.properties_path, "Events", name)
    settings: Path = (*path, "Properties")
    source = _source_id(t, props.get(source_key)) if source_key else None
    permitted: str | None = r.logical_id
    if event["Type"] == "HttpApi" and not is_default_http_route(props):
        principal = None if repr(props.get("ApiId")) in covered else principal
    if event["Type"] == "SNS":
        topic, endpoint, protocol = source, r.logical_id, "lambda"
        if props.get("SqsSubscription") not in (None, False, "false"):
            # SAM puts a queue in between (its own, or QueueArn): the function polls the queue,
            # and a queue policy (not a Lambda permission) lets the topic send to it.
            sqs = _mapping(props.get("SqsSubscription"))
            service, mode, protocol = "sqs", POLL, "sqs"
            source = endpoint = permitted = _source_id(t, sqs.get("QueueArn"))
        graph.add(Edge(SUBSCRIBES, topic, endpoint, protocol, r.logical_id, path, settings,
                       sam=True))
        for redrive in _redrive_targets(props.get("RedrivePolicy")):
            _dead_letter(t, graph, r, redrive, (*settings, "RedrivePolicy"), "subscription-dlq")
    dead_letter = _mapping(props.get("DeadLetterConfig")).get("Arn")
    _dead_letter(t, graph, r, dead_letter, (*settings, "DeadLetterConfig"), "target-dlq")
    on_failure = _mapping(_mapping(props.get("DestinationConfig")).get("OnFailure"))
    _dead_letter(t, graph, r, on_failure.get("Destination"),
                 (*settings, "DestinationConfig", "OnFailure"), MAPPING_ON_FAILURE)
    graph.add(Edge(INVOKES, source, r.logical_id, service, r.logical_id, path, settings, mode,
                   sam=True))
    if principal:
        graph.add(Edge(PERMITS, None, permitted, principal, r.logical_id, path, settings,
                       sam=True))
    dlq = props.get("DeadLetterConfig")
    if principal == "events.amazonaws.com" and isinstance(dlq, dict) and "Arn" not in dlq:
        # SAM creates the dead-letter queue and a policy letting EventBridge send to it
        graph.add(Edge(PERMITS, None, None, principal, r.logical_id, path,
                       (*settings, "DeadLetterConfig"), sam=True))


def _sam_api(t: Template, r: Resource, graph: Graph) -> None:
    body = t.prop(r, "DefinitionBody")
    service = "http-api" if r.type == "AWS::Serverless::HttpApi" else "rest-api"
    if body is not None:
        _openapi(t, r, graph, body.raw, body.path, service)


# -- API Gateway ----------------------------------------------------------------------------------


def _openapi(t: Template, r: Resource, graph: Graph, body: Any, base: Path, service: str) -> None:
    paths = _mapping(body).get("paths")
    for route, operations in _mapping(paths).items():
        for method, operation in _mapping(operations).items():
            integration = _mapping(operation).get("x-amazon-apigateway-integration")
            if not isinstance(integration, dict):
                continue
            where = (*base, "paths", route, method, "x-amazon-apigateway-integration")
            _invoke(graph, _function_target(t, integration.get("uri")),
                    source=r.logical_id, service=service, owner=r.logical_id, path=where,
                    settings=where, mode=SYNC)


def _rest_api(t: Template, r: Resource, graph: Graph) -> None:
    if "Body" in r.properties:
        _openapi(t, r, graph, r.properties["Body"], (*r.properties_path, "Body"), "rest-api")


def _http_api(t: Template, r: Resource, graph: Graph) -> None:
    if "Body" in r.properties and t.resolver.one(r.properties.get("ProtocolType")) == "HTTP":
        _openapi(t, r, graph, r.properties["Body"], (*r.properties_path, "Body"), "http-api")


def _api_method(t: Template, r: Resource, graph: Graph) -> None:
    integration = _mapping(r.properties.get("Integration"))
    if t.resolver.one(integration.get("Type")) not in ("AWS", "AWS_PROXY"):
        return
    settings = (*r.properties_path, "Integration")
    _invoke(graph, _function_target(t, integration.get("Uri")),
            source=_source_id(t, r.properties.get("RestApiId")), service="rest-api",
            owner=r.logical_id, path=(*settings, "Uri"), settings=settings, mode=SYNC)


def _api_v2_integration(t: Template, r: Resource, graph: Graph) -> None:
    api = t.resource_at(r.properties.get("ApiId"))
    service = "api-v2"
    if api is not None and api.type == "AWS::Serverless::HttpApi":
        service = "http-api"
    elif api is not None:
        protocol = t.resolver.one(api.properties.get("ProtocolType"))
        if isinstance(protocol, str):
            service = {"HTTP": "http-api", "WEBSOCKET": "websocket-api"}.get(protocol, service)
    _invoke(graph, _function_target(t, r.properties.get("IntegrationUri")),
            source=api.logical_id if api else None, service=service, owner=r.logical_id,
            path=(*r.properties_path, "IntegrationUri"), settings=r.properties_path, mode=SYNC)


# -- push sources ---------------------------------------------------------------------------------


def _bucket(t: Template, r: Resource, graph: Graph) -> None:
    notifications = _mapping(r.properties.get("NotificationConfiguration"))
    for index, item in _items(notifications.get("LambdaConfigurations")):
        where = (*r.properties_path, "NotificationConfiguration", "LambdaConfigurations", index)
        _invoke(graph, _function_target(t, _mapping(item).get("Function")),
                source=r.logical_id, service="s3", owner=r.logical_id, path=where,
                settings=where, mode=ASYNC)


def _subscription(t: Template, r: Resource, graph: Graph) -> None:
    protocol = t.resolver.one(r.properties.get("Protocol"))
    endpoint = r.properties.get("Endpoint")
    topic = _source_id(t, r.properties.get("TopicArn"))
    graph.add(Edge(SUBSCRIBES, topic, _source_id(t, endpoint), str(protocol), r.logical_id,
                   r.path, r.properties_path))
    if protocol == "lambda":
        _invoke(graph, _function_target(t, endpoint), source=topic, service="sns",
                owner=r.logical_id, path=r.path, settings=r.properties_path, mode=ASYNC)
    for redrive in _redrive_targets(r.properties.get("RedrivePolicy")):
        _dead_letter(t, graph, r, redrive, (*r.properties_path, "RedrivePolicy"),
                     "subscription-dlq")


def _topic(t: Template, r: Resource, graph: Graph) -> None:
    for index, item in _items(r.properties.get("Subscription")):
        where = (*r.properties_path, "Subscription", index)
        protocol = t.resolver.one(_mapping(item).get("Protocol"))
        endpoint = _mapping(item).get("Endpoint")
        graph.add(Edge(SUBSCRIBES, r.logical_id, _source_id(t, endpoint), str(protocol),
                       r.logical_id, where, where))
        if protocol == "lambda":
            _invoke(graph, _function_target(t, endpoint), source=r.logical_id,
                    service="sns", owner=r.logical_id, path=where, settings=where, mode=ASYNC)


def _events_rule(t: Template, r: Resource, graph: Graph) -> None:
    for index, target in _items(r.properties.get("Targets")):
        where = (*r.properties_path, "Targets", index)
        target = _mapping(target)
        _invoke(graph, _function_target(t, target.get("Arn")), source=r.logical_id,
                service="events", owner=r.logical_id, path=where, settings=where, mode=ASYNC)
        dlq = _mapping(target.get("DeadLetterConfig")).get("Arn")
        _dead_letter(t, graph, r, dlq, (*where, "DeadLetterConfig", "Arn"), "target-dlq")


def _schedule(t: Template, r: Resource, graph: Graph) -> None:
    target = _mapping(r.properties.get("Target"))
    where = (*r.properties_path, "Target")
    _invoke(graph, _function_target(t, target.get("Arn")), source=r.logical_id,
            service="scheduler", owner=r.logical_id, path=where, settings=where, mode=ASYNC)
    dlq = _mapping(target.get("DeadLetterConfig")).get("Arn")
    _dead_letter(t, graph, r, dlq, (*where, "DeadLetterConfig", "Arn"), "target-dlq")


def _log_subscription(t: Template, r: Resource, graph: Graph) -> None:
    _invoke(graph, _function_target(t, r.properties.get("DestinationArn")),
            source=_source_id(t, r.properties.get("LogGroupName")), service="logs",
            owner=r.logical_id, path=r.path, settings=r.properties_path, mode=ASYNC)


def _iot_rule(t: Template, r: Resource, graph: Graph) -> None:
    payload = _mapping(r.properties.get("TopicRulePayload"))
    for index, action in _items(payload.get("Actions")):
        lambda_action = _mapping(_mapping(action).get("Lambda"))
        where = (*r.properties_path, "TopicRulePayload", "Actions", index)
        _invoke(graph, _function_target(t, lambda_action.get("FunctionArn")),
                source=r.logical_id, service="iot", owner=r.logical_id, path=where,
                settings=where, mode=ASYNC)


def _target_group(t: Template, r: Resource, graph: Graph) -> None:
    if t.resolver.one(r.properties.get("TargetType")) != "lambda":
        return
    for index, item in _items(r.properties.get("Targets")):
        where = (*r.properties_path, "Targets", index)
        _invoke(graph, _function_target(t, _mapping(item).get("Id")),
                source=r.logical_id, service="alb", owner=r.logical_id, path=where,
                settings=where, mode=SYNC)


def _user_pool(t: Template, r: Resource, graph: Graph) -> None:
    for trigger, raw in _mapping(r.properties.get("LambdaConfig")).items():
        where = (*r.properties_path, "LambdaConfig", trigger)
        _invoke(graph, _function_target(t, raw), source=r.logical_id,
                service="cognito", owner=r.logical_id, path=where, settings=where, mode=SYNC)


# -- queues and policies --------------------------------------------------------------------------


def _queue(t: Template, r: Resource, graph: Graph) -> None:
    for redrive in _redrive_targets(r.properties.get("RedrivePolicy")):
        _dead_letter(t, graph, r, redrive, (*r.properties_path, "RedrivePolicy"), "queue-dlq")


def _resource_policy(key: str) -> Builder:
    def build(t: Template, r: Resource, graph: Graph) -> None:
        statements = _mapping(r.properties.get("PolicyDocument")).get("Statement")
        statements = statements if isinstance(statements, list) else [statements]
        services = {
            service
            for statement in statements
            if _mapping(statement).get("Effect") == "Allow"
            for service in _principal_services(_mapping(statement).get("Principal"))
        }
        for _, item in _items(r.properties.get(key)):
            target = _source_id(t, item)
            for service in sorted(services):
                graph.add(Edge(PERMITS, None, target, service, r.logical_id, r.path,
                               r.properties_path))

    return build


def _principal_services(principal: Any) -> list[str]:
    service = _mapping(principal).get("Service")
    services = service if isinstance(service, list) else [service]
    return [s for s in services if isinstance(s, str)]


BUILDERS: dict[str, Builder] = {
    "AWS::Lambda::EventSourceMapping": _event_source_mapping,
    "AWS::Lambda::Function": _lambda_function,
    SAM_FUNCTION: _lambda_function,
    "AWS::Lambda::EventInvokeConfig": _event_invoke_config,
    "AWS::Lambda::Permission": _permission,
    "AWS::Serverless::Api": _sam_api,
    "AWS::Serverless::HttpApi": _sam_api,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGatewayV2::Api": _http_api,
    "AWS::ApiGateway::Method": _api_method,
    "AWS::ApiGatewayV2::Integration": _api_v2_integration,
    "AWS::S3::Bucket": _bucket,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SNS::Topic": _topic,
    "AWS::Events::Rule": _events_rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::Logs::SubscriptionFilter": _log_subscription,
    "AWS::IoT::TopicRule": _iot_rule,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_group,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _resource_policy("Queues"),
    "AWS::SNS::TopicPolicy": _resource_policy("Topics"),
}

