"""What the AWS SAM transform does, in one place: Globals sections, the Globals merge, event types.

The graph (which edges an event makes), the expansion (how many resources it becomes) and the
checks (which events are schedules) all read the tables below, so a SAM fact is written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SAM_FUNCTION = "AWS::Serverless::Function"
SAM_STATE_MACHINE = "AWS::Serverless::StateMachine"

# The Globals section merged into each resource type.
GLOBALS_SECTIONS: dict[str, str] = {
    f"AWS::Serverless::{name}": name
    for name in (
        "Function",
        "Api",
        "HttpApi",
        "WebSocketApi",
        "SimpleTable",
        "StateMachine",
        "LayerVersion",
        "CapacityProvider",
    )
}

SYNC, ASYNC, POLL = "sync", "async", "poll"


@dataclass(frozen=True)
class EventType:
    """One SAM event type: what it wires to its function or state machine."""

    origin: str  # what invokes: rest-api, sns, events, scheduler, sqs, ... (Edge.origin)
    mode: str  # how a function is invoked: sync, async or poll
    source_key: str | None  # the event property naming the source resource
    principal: str | None  # the service SAM grants a Lambda permission to, if any
    scheduled: bool = False  # a schedule rather than an event pattern
    rule: bool = False  # SAM creates an EventBridge rule or schedule with a target DLQ setting
    state_machine: bool = False  # also an event type of AWS::Serverless::StateMachine


EVENT_TYPES: dict[str, EventType] = {
    "Api": EventType("rest-api", SYNC, "RestApiId", "apigateway.amazonaws.com",
                     state_machine=True),
    "HttpApi": EventType("http-api", SYNC, "ApiId", "apigateway.amazonaws.com"),
    "AlexaSkill": EventType("alexa", SYNC, None, "alexa-appkit.amazon.com"),
    "Cognito": EventType("cognito", SYNC, "UserPool", "cognito-idp.amazonaws.com"),
    "S3": EventType("s3", ASYNC, "Bucket", "s3.amazonaws.com"),
    "SNS": EventType("sns", ASYNC, "Topic", "sns.amazonaws.com"),
    "Schedule": EventType("events", ASYNC, None, "events.amazonaws.com", scheduled=True,
                          rule=True, state_machine=True),
    "CloudWatchEvent": EventType("events", ASYNC, "EventBusName", "events.amazonaws.com",
                                 rule=True, state_machine=True),
    "EventBridgeRule": EventType("events", ASYNC, "EventBusName", "events.amazonaws.com",
                                 rule=True, state_machine=True),
    "ScheduleV2": EventType("scheduler", ASYNC, None, None, scheduled=True, rule=True,
                            state_machine=True),
    "CloudWatchLogs": EventType("logs", ASYNC, "LogGroupName", "logs.amazonaws.com"),
    "IoTRule": EventType("iot", ASYNC, None, "iot.amazonaws.com"),
    "SQS": EventType("sqs", POLL, "Queue", None),
    "Kinesis": EventType("kinesis", POLL, "Stream", None),
    "DynamoDB": EventType("dynamodb", POLL, "Stream", None),
    "MSK": EventType("msk", POLL, "Stream", None),
    "MQ": EventType("mq", POLL, "Broker", None),
    "SelfManagedKafka": EventType("kafka", POLL, None, None),
    "DocumentDB": EventType("docdb", POLL, "Cluster", None),
}

# The owners of `Events`, and which event types each accepts.
EVENT_OWNERS: dict[str, frozenset[str]] = {
    SAM_FUNCTION: frozenset(EVENT_TYPES),
    SAM_STATE_MACHINE: frozenset(name for name, e in EVENT_TYPES.items() if e.state_machine),
}

# The queue SAM creates for an SNS event with `SqsSubscription: true` is named like this.
SQS_SUBSCRIPTION_QUEUE = "{owner}{event}Queue"


def event_type(owner_type: str, event: Any) -> EventType | None:
    """The table row of a SAM event of a resource of `owner_type`, None when SAM has none."""
    kind = event.get("Type") if isinstance(event, Mapping) else None
    if not isinstance(kind, str) or kind not in EVENT_OWNERS.get(owner_type, ()):
        return None
    return EVENT_TYPES[kind]


def events_of(owner_type: str, properties: Mapping[str, Any]) -> list[tuple[str, dict, EventType]]:
    """(name, event, row) for each well-formed event of a SAM function or state machine."""
    events = properties.get("Events")
    found = []
    for name, event in (events.items() if isinstance(events, Mapping) else ()):
        row = event_type(owner_type, event)
        if row is not None:
            found.append((str(name), event, row))
    return found


def merge(base: Any, override: Any) -> Any:
    """SAM's Globals merge: maps merge per key, lists concatenate, otherwise the resource wins.
    An intrinsic (`!If`, `!Ref`...) on either side is a value, not a map: the resource's wins."""
    if is_intrinsic(base) or is_intrinsic(override):
        return override
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


def is_intrinsic(value: Any) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or (isinstance(key, str) and key.startswith("Fn::"))


def globals_section(globals_: Any, resource_type: str) -> dict[str, Any] | None:
    """The Globals section a resource of this type inherits from, if any."""
    name = GLOBALS_SECTIONS.get(resource_type)
    section = globals_.get(name) if name and isinstance(globals_, Mapping) else None
    return section if isinstance(section, dict) else None


def is_default_http_route(props: Mapping[str, Any]) -> bool:
    """An HttpApi event on the `$default` route."""
    path, method = props.get("Path"), props.get("Method")
    if not path and not method:
        return True  # SAM turns a bare HttpApi event into the $default route
    return path == "$default" and str(method).lower() in ("any", "x-amazon-apigateway-any-method")
