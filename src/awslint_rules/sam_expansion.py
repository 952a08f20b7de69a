"""Count the CloudFormation resources a template holds after the AWS SAM transform.

CloudFormation's 500-resources-per-stack limit applies to the *expanded* template: one
``AWS::Serverless::Function`` with a few events easily becomes five or more resources. This module
estimates that count without running the SAM translator.

Everything is driven by the tables below. A :class:`Part` is one row: ``count`` says how many
resources the SAM resource (or event) owns, as a function of its properties; ``shared`` names
template-wide resources (by SAM's logical id) created once however many resources need them, such
as the implicit ``ServerlessRestApi`` or the CodeDeploy application. A shared resource is counted
against the first resource in template order that needs it, so ``by_resource`` sums to
``expanded``. Shared ids starting with "." are scoped to the resource that needs them.

The tables were verified against aws-sam-translator 1.115 on the SAM translator's own test inputs
and the serverless-patterns templates (tests/test_sam_translator.py). SAM resolves a few properties
from parameter values before deciding what to create (``DeploymentPreference.Enabled: !Ref P``,
``Auth.UsagePlan.CreateUsagePlan: !Ref P``); pass ``parameters`` (name -> value, as the linter
resolved them) to do the same. An intrinsic that cannot be resolved counts as set.

Inputs are untrusted: nothing here raises, and values of the wrong type are treated as absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .sam import (
    SAM_FUNCTION,
    SAM_STATE_MACHINE,
    events_of,
    globals_section,
    is_default_http_route,
    merge,
)

__all__ = ["Expansion", "expand_count"]

Props = Mapping[str, Any]
Count = Callable[[Props], int]
Shared = Callable[[Props], Iterable[str]]


@dataclass(frozen=True)
class Expansion:
    declared: int  # entries in Resources
    expanded: int  # resources after SAM expansion
    by_resource: dict[str, int] = field(default_factory=dict)  # logical id -> resources


@dataclass(frozen=True)
class Part:
    count: Count | None = None  # resources owned by the SAM resource or event
    shared: Shared | None = None  # logical ids of template-wide resources it needs


# ------------------------------------------------------------------------------ value helpers


def _map(value: Any) -> Props:
    return value if isinstance(value, Mapping) else {}


def _get(props: Props, *path: str) -> Any:
    value: Any = props
    for key in path:
        value = _map(value).get(key)
    return value


def _is_no_value(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("Ref") == "AWS::NoValue"


def _if_branches(value: Any) -> list[Any] | None:
    """The two branches of a well-formed ``Fn::If``, else None."""
    args = value.get("Fn::If") if isinstance(value, Mapping) and len(value) == 1 else None
    return list(args[1:]) if isinstance(args, list) and len(args) == 3 else None


def _given(value: Any) -> bool:
    """Set, unless absent, empty, false, or an Fn::If whose branches are all AWS::NoValue."""
    branches = _if_branches(value)
    if branches is not None:
        return not all(_is_no_value(b) for b in branches)
    return value not in (None, "", False, {}, [])


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (Mapping, list)) else 0


# ------------------------------------------------------------------------------ row builders


def always(n: int = 1) -> Count:
    return lambda _props: n


def when(*path: str, n: int = 1) -> Count:
    """``n`` resources when the property at ``path`` is set."""
    return lambda props: n if _given(_get(props, *path)) else 0


def unless(*path: str) -> Count:
    """One resource unless the property at ``path`` is set (a role unless Role is given)."""
    return lambda props: 0 if _given(_get(props, *path)) else 1


def each(*path: str) -> Count:
    """One resource per entry of the mapping or list at ``path``."""
    return lambda props: _size(_get(props, *path))


def shared(*logical_ids: str) -> Shared:
    return lambda _props: logical_ids


# ------------------------------------------------------------------------------ Function rules


def _execution_role(props: Props) -> int:
    """A role unless Role is given; ``Role: !If [c, !Ref AWS::NoValue, x]`` -> conditional role."""
    role = props.get("Role")
    branches = _if_branches(role)
    if branches is not None:
        return int(any(_is_no_value(b) for b in branches))
    return int(role is None)


def _public_url(props: Props) -> int:
    return 2 if _get(props, "FunctionUrlConfig", "AuthType") == "NONE" else 0


def _auto_destinations(props: Props) -> int:
    """OnSuccess/OnFailure of Type SQS/SNS without a plain Destination -> SAM makes the target."""
    config = _map(_get(props, "EventInvokeConfig", "DestinationConfig"))
    count = 0
    for name in ("OnSuccess", "OnFailure"):
        target = _map(config.get(name))
        destination = target.get("Destination")
        auto = destination is None or _if_branches(destination) is not None
        count += target.get("Type") in ("SQS", "SNS") and auto
    return count


def _deploys(props: Props) -> bool:
    """SAM: ``Enabled`` (default true) is off when falsy or the string "false"/"False"."""
    preference = props.get("DeploymentPreference")
    enabled = _map(preference).get("Enabled", True)
    return isinstance(preference, Mapping) and bool(enabled) and enabled not in ("false", "False")


def _deployment_group(props: Props) -> int:
    return int(_deploys(props))


def _codedeploy_app(props: Props) -> list[str]:
    return ["ServerlessDeploymentApplication"] if _deploys(props) else []


def _codedeploy_role(props: Props) -> list[str]:
    own_role = _given(_get(props, "DeploymentPreference", "Role"))
    return ["CodeDeployServiceRole"] if _deploys(props) and not own_role else []


def _covered_by_default_route(props: Props) -> int:
    """HttpApi events on an API where the function owns $default get no permission (negative).

    SAM only notices when the integration targets the function itself, not an alias.
    """
    if _given(props.get("AutoPublishAlias")):
        return 0
    default_apis: set[str] = set()
    other_apis: list[str] = []
    for event in _map(props.get("Events")).values():
        if _map(event).get("Type") != "HttpApi":
            continue
        event_props = _map(_map(event).get("Properties"))
        api = repr(event_props.get("ApiId"))
        if is_default_http_route(event_props):
            default_apis.add(api)
        else:
            other_apis.append(api)
    return -sum(api in default_apis for api in other_apis)


# ------------------------------------------------------------------------------ API rules


def _lambda_authorizers(opt_in: bool) -> Count:
    """A permission per Lambda authorizer: REST unless disabled, HTTP only when enabled."""

    def count(props: Props) -> int:
        total = 0
        for authorizer in _map(_get(props, "Auth", "Authorizers")).values():
            authorizer = _map(authorizer)
            if not _given(authorizer.get("FunctionArn")):
                continue
            if opt_in:
                total += authorizer.get("EnableFunctionDefaultPermissions") is True
            else:
                total += not _given(authorizer.get("DisableFunctionDefaultPermissions"))
        return total

    return count


def _usage_plan(props: Props) -> int:
    """PER_API; an intrinsic is resolved by SAM from a parameter default: assume PER_API."""
    mode = _get(props, "Auth", "UsagePlan", "CreateUsagePlan")
    return 3 if mode == "PER_API" or isinstance(mode, Mapping) else 0


def _shared_usage_plan(props: Props) -> list[str]:
    if _get(props, "Auth", "UsagePlan", "CreateUsagePlan") != "SHARED":
        return []
    return ["ServerlessUsagePlan", "ServerlessApiKey", "ServerlessUsagePlanKey"]


def _domain_name(v2: bool) -> Shared:
    """The DomainName resource is named after the domain: APIs on one domain share it."""

    def keys(props: Props) -> list[str]:
        domain = _map(props.get("Domain"))
        if domain.get("DomainName") is None:
            return []
        kind = "V2" if v2 or domain.get("EndpointConfiguration") == "PRIVATE" else ""
        return [f"ApiGatewayDomainName{kind}:{domain['DomainName']!r}"]

    return keys


def _base_path_mappings(props: Props) -> int:
    """One mapping per distinct (alphanumeric-normalised) BasePath, one if none is given."""
    domain = _map(props.get("Domain"))
    paths = domain.get("BasePath")
    if not domain:
        return 0
    if isinstance(paths, str) and paths:
        paths = [paths]
    if not isinstance(paths, list) or not paths:
        return 1
    return len({"".join(c for c in str(p) if c.isalnum()) for p in paths})


def _record_set_group(props: Props) -> list[str]:
    """Route53 records share one RecordSetGroup per hosted zone across the template's APIs."""
    route53 = _map(_get(props, "Domain", "Route53"))
    zone = route53.get("HostedZoneId") or route53.get("HostedZoneName")
    if not zone or route53.get("SeparateRecordSetGroup") is True:
        return []
    return [f"RecordSetGroup:{zone!r}"]


def _separate_record_set(props: Props) -> int:
    return int(_get(props, "Domain", "Route53", "SeparateRecordSetGroup") is True)


def _private_domain_association(props: Props) -> int:
    domain = _map(props.get("Domain"))
    private = domain.get("EndpointConfiguration") == "PRIVATE"
    return int(private and _given(domain.get("AccessAssociation")))


def _websocket_authorizer(props: Props) -> int:
    """A CUSTOM authorizer (on $connect) plus its invoke permission unless InvokeRole is given."""
    auth = _map(props.get("Auth"))
    if auth.get("AuthType") != "CUSTOM" or not _given(auth.get("AuthArn")):
        return 0
    return ("$connect" in _map(props.get("Routes"))) + (not _given(auth.get("InvokeRole")))


# ------------------------------------------------------------------------------ GraphQLApi rules


def _graphql_logging_role(props: Props) -> int:
    if props.get("Logging") is False:
        return 0
    return int(not _given(_get(props, "Logging", "CloudWatchLogsRoleArn")))


def _graphql_lambda_auth(props: Props) -> int:
    auth = _map(props.get("Auth"))
    additional = auth.get("Additional")
    auths = [auth, *(additional if isinstance(additional, list) else [])]
    return sum(_map(a).get("Type") == "AWS_LAMBDA" for a in auths)


def _graphql_datasources(props: Props) -> int:
    """A DataSource each; without ServiceRoleArn also an IAM role and a connector policy."""
    sources = [
        source
        for kind in ("DynamoDb", "Lambda")
        for source in _map(_get(props, "DataSources", kind)).values()
    ]
    return sum(1 if _given(_map(s).get("ServiceRoleArn")) else 3 for s in sources)


def _graphql_functions(props: Props) -> int:
    return sum(not _given(_map(f).get("Id")) for f in _map(props.get("Functions")).values())


def _graphql_resolvers(props: Props) -> int:
    return sum(_size(fields) for fields in _map(props.get("Resolvers")).values())


def _graphql_none_datasource(props: Props) -> int:
    sources = [_map(f).get("DataSource") for f in _map(props.get("Functions")).values()]
    return int(any(isinstance(s, str) and s.lower() == "none" for s in sources))


# ------------------------------------------------------------------------------ event rules


def _dlq(policy: bool) -> Count:
    """DeadLetterConfig without Arn: SAM creates an SQS queue (rules: plus a queue policy)."""

    def count(props: Props) -> int:
        config = props.get("DeadLetterConfig")
        if not isinstance(config, Mapping) or "Arn" in config:
            return 0
        return 2 if policy else 1

    return count


def _sns(props: Props) -> int:
    sqs = props.get("SqsSubscription")
    if not _given(sqs):
        return 2  # permission + subscription
    if isinstance(sqs, Mapping):
        return 3  # queue policy + subscription + event source mapping (queue given)
    return 4  # queue + queue policy + subscription + event source mapping


def _implicit(api_id_property: str, logical_id: str) -> Shared:
    """An event without an API id goes to the implicit API SAM adds once per template."""
    return lambda props: [] if api_id_property in props else [logical_id]


def _connector(props: Props) -> int:
    destination = props.get("Destination")
    return max(1, len(destination)) if isinstance(destination, list) else 1


# ------------------------------------------------------------------------------ the tables

FUNCTION: tuple[Part, ...] = (
    Part(always()),  # AWS::Lambda::Function
    Part(_execution_role),  # AWS::IAM::Role, unless Role is given
    Part(when("AutoPublishAlias", n=2)),  # AWS::Lambda::Version + Alias, with AutoPublishAlias
    Part(when("FunctionUrlConfig")),  # AWS::Lambda::Url, with FunctionUrlConfig
    Part(_public_url),  # 2 AWS::Lambda::Permission for a function URL with AuthType NONE
    Part(when("EventInvokeConfig")),  # AWS::Lambda::EventInvokeConfig
    Part(_auto_destinations),  # SQS queue / SNS topic for invoke destinations without Destination
    Part(_deployment_group),  # AWS::CodeDeploy::DeploymentGroup, with DeploymentPreference
    Part(shared=_codedeploy_app),  # AWS::CodeDeploy::Application, once per template
    Part(shared=_codedeploy_role),  # CodeDeploy IAM role, once, unless preferences give Role
    Part(_covered_by_default_route),  # minus HttpApi permissions made redundant by $default
)

API: tuple[Part, ...] = (
    Part(always(3)),  # AWS::ApiGateway::RestApi + Deployment + Stage
    Part(_lambda_authorizers(opt_in=False)),  # AWS::Lambda::Permission per Lambda authorizer
    Part(_usage_plan),  # UsagePlan + ApiKey + UsagePlanKey, with CreateUsagePlan PER_API
    Part(shared=_shared_usage_plan),  # ServerlessUsagePlan/ApiKey/UsagePlanKey, once, SHARED
    Part(shared=_domain_name(v2=False)),  # DomainName (V2 if PRIVATE), once per domain name
    Part(_base_path_mappings),  # AWS::ApiGateway::BasePathMapping(V2) per Domain.BasePath
    Part(_private_domain_association),  # DomainNameAccessAssociation, private Domain
    Part(_separate_record_set),  # AWS::Route53::RecordSetGroup, with SeparateRecordSetGroup
    Part(shared=_record_set_group),  # AWS::Route53::RecordSetGroup, once per hosted zone
)

HTTP_API: tuple[Part, ...] = (
    Part(always(2)),  # AWS::ApiGatewayV2::Api + Stage
    Part(_lambda_authorizers(opt_in=True)),  # Permission per EnableFunctionDefaultPermissions
    Part(shared=_domain_name(v2=True)),  # AWS::ApiGatewayV2::DomainName, once per domain name
    Part(_base_path_mappings),  # AWS::ApiGatewayV2::ApiMapping per Domain.BasePath
    Part(_separate_record_set),  # AWS::Route53::RecordSetGroup, with SeparateRecordSetGroup
    Part(shared=_record_set_group),  # AWS::Route53::RecordSetGroup, once per hosted zone
)

WEBSOCKET_API: tuple[Part, ...] = (
    Part(always(2)),  # AWS::ApiGatewayV2::Api + Stage
    Part(lambda p: 3 * _size(p.get("Routes"))),  # Route + Integration + Permission per route
    Part(_websocket_authorizer),  # Authorizer + its Permission, with Auth.AuthType CUSTOM
    *HTTP_API[2:],  # custom domain, as for HttpApi
)

STATE_MACHINE: tuple[Part, ...] = (
    Part(always()),  # AWS::StepFunctions::StateMachine
    Part(unless("Role")),  # AWS::IAM::Role, unless Role is given
    Part(when("AutoPublishAlias", n=2)),  # StateMachineVersion + Alias, with AutoPublishAlias
)

GRAPHQL_API: tuple[Part, ...] = (
    Part(always(2)),  # AWS::AppSync::GraphQLApi + GraphQLSchema
    Part(_graphql_lambda_auth),  # AWS::Lambda::Permission per AWS_LAMBDA authorizer
    Part(_graphql_logging_role),  # logging IAM role, unless Logging false / CloudWatchLogsRoleArn
    Part(each("ApiKeys")),  # AWS::AppSync::ApiKey per ApiKeys entry
    Part(when("Cache")),  # AWS::AppSync::ApiCache
    Part(_graphql_datasources),  # DataSource (+ IAM role + policy) per DataSources entry
    Part(when("DomainName", n=2)),  # AWS::AppSync::DomainName + DomainNameApiAssociation
    Part(_graphql_functions),  # AWS::AppSync::FunctionConfiguration per function without Id
    Part(_graphql_resolvers),  # AWS::AppSync::Resolver per Resolvers.<Type>.<Field>
    Part(_graphql_none_datasource),  # one NONE DataSource if a function uses DataSource "none"
)

RESOURCE_TABLE: dict[str, tuple[Part, ...]] = {
    "AWS::Serverless::Function": FUNCTION,
    "AWS::Serverless::Api": API,
    "AWS::Serverless::HttpApi": HTTP_API,
    "AWS::Serverless::WebSocketApi": WEBSOCKET_API,
    "AWS::Serverless::StateMachine": STATE_MACHINE,
    "AWS::Serverless::GraphQLApi": GRAPHQL_API,
    "AWS::Serverless::SimpleTable": (Part(always()),),  # AWS::DynamoDB::Table
    "AWS::Serverless::LayerVersion": (Part(always()),),  # AWS::Lambda::LayerVersion
    "AWS::Serverless::Application": (Part(always()),),  # AWS::CloudFormation::Stack
    "AWS::Serverless::Connector": (Part(_connector),),  # policy/permission per Destination
    "AWS::Serverless::CapacityProvider": (
        Part(always()),  # AWS::Lambda::CapacityProvider
        Part(unless("OperatorRole")),  # AWS::IAM::Role, unless OperatorRole is given
    ),
}

_RULE_EVENT = (
    Part(always(2)),  # AWS::Events::Rule + AWS::Lambda::Permission
    Part(_dlq(policy=True)),  # SQS queue + queue policy, DeadLetterConfig without Arn
)

# Events of AWS::Serverless::Function, by event Type.
FUNCTION_EVENTS: dict[str, tuple[Part, ...]] = {
    "Api": (
        Part(always()),  # AWS::Lambda::Permission
        Part(shared=_implicit("RestApiId", "ServerlessRestApi")),  # implicit API, no RestApiId
    ),
    "HttpApi": (
        Part(always()),  # AWS::Lambda::Permission
        Part(shared=_implicit("ApiId", "ServerlessHttpApi")),  # implicit HTTP API, no ApiId
    ),
    "S3": (Part(always()),),  # AWS::Lambda::Permission (the bucket gets the notification)
    "SNS": (Part(_sns),),  # Permission + Subscription; SqsSubscription: queue, policy, mapping
    "Schedule": _RULE_EVENT,
    "CloudWatchEvent": _RULE_EVENT,
    "EventBridgeRule": _RULE_EVENT,
    "ScheduleV2": (
        Part(always()),  # AWS::Scheduler::Schedule
        Part(unless("RoleArn")),  # AWS::IAM::Role, unless RoleArn is given
        Part(_dlq(policy=False)),  # SQS queue, DeadLetterConfig without Arn
    ),
    "CloudWatchLogs": (Part(always(2)),),  # AWS::Lambda::Permission + Logs::SubscriptionFilter
    "IoTRule": (Part(always(2)),),  # AWS::Lambda::Permission + AWS::IoT::TopicRule
    "AlexaSkill": (Part(always()),),  # AWS::Lambda::Permission
    "Cognito": (Part(shared=shared(".CognitoPermission")),),  # one Permission per function
    "SQS": (Part(always()),),  # AWS::Lambda::EventSourceMapping
    "Kinesis": (Part(always()),),  # AWS::Lambda::EventSourceMapping
    "DynamoDB": (Part(always()),),  # AWS::Lambda::EventSourceMapping
    "MSK": (Part(always()),),  # AWS::Lambda::EventSourceMapping
    "MQ": (Part(always()),),  # AWS::Lambda::EventSourceMapping
    "SelfManagedKafka": (Part(always()),),  # AWS::Lambda::EventSourceMapping
    "DocumentDB": (Part(always()),),  # AWS::Lambda::EventSourceMapping
}

_STATE_MACHINE_RULE_EVENT = (
    Part(always(2)),  # AWS::Events::Rule + AWS::IAM::Role to start executions
    Part(_dlq(policy=True)),  # SQS queue + queue policy, DeadLetterConfig without Arn
)

# Events of AWS::Serverless::StateMachine, by event Type.
STATE_MACHINE_EVENTS: dict[str, tuple[Part, ...]] = {
    "Api": (
        Part(always()),  # AWS::IAM::Role for API Gateway to start executions
        Part(shared=_implicit("RestApiId", "ServerlessRestApi")),  # implicit API, no RestApiId
    ),
    "Schedule": (
        Part(always()),  # AWS::Events::Rule
        Part(unless("RoleArn")),  # AWS::IAM::Role, unless RoleArn is given
        Part(_dlq(policy=True)),  # SQS queue + queue policy, DeadLetterConfig without Arn
    ),
    "CloudWatchEvent": _STATE_MACHINE_RULE_EVENT,
    "EventBridgeRule": _STATE_MACHINE_RULE_EVENT,
    "ScheduleV2": FUNCTION_EVENTS["ScheduleV2"],
}

EVENT_TABLE: dict[str, dict[str, tuple[Part, ...]]] = {
    SAM_FUNCTION: FUNCTION_EVENTS,
    SAM_STATE_MACHINE: STATE_MACHINE_EVENTS,
}


# Shared resources that are whole implicit APIs, expanded like a resource of that type.
IMPLICIT_APIS = {
    "ServerlessRestApi": "AWS::Serverless::Api",
    "ServerlessHttpApi": "AWS::Serverless::HttpApi",
}

# Properties SAM resolves from parameter values (``!Ref Param``) before it decides what to create.
PARAMETER_PROPERTIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "AWS::Serverless::Function": (("DeploymentPreference", "Enabled"),),
    "AWS::Serverless::Api": (("Auth", "UsagePlan", "CreateUsagePlan"),),
}

# ------------------------------------------------------------------------------ evaluation


def _with_parameters(props: Props, path: tuple[str, ...], parameters: Props) -> Props:
    """``props`` with the ``{"Ref": name}`` at ``path`` replaced by the parameter's value."""
    ref = _get(props, *path)
    name = ref.get("Ref") if isinstance(ref, Mapping) and len(ref) == 1 else None
    value = parameters.get(name) if isinstance(name, str) else None
    if not isinstance(value, (str, bool, int, float)):
        return props  # not a parameter reference, or a parameter without a known value
    resolved = dict(props)
    inner = resolved
    for key in path[:-1]:
        inner[key] = dict(_map(inner.get(key)))
        inner = inner[key]
    inner[path[-1]] = value
    return resolved


def _apply(parts: Iterable[Part], props: Props) -> tuple[int, list[str]]:
    count, keys = 0, []
    for part in parts:
        try:
            count += int(part.count(props)) if part.count else 0
            keys.extend(part.shared(props) if part.shared else ())
        except Exception:  # a row that trips over odd input counts nothing
            continue
    return count, keys


def _events(resource_type: str, props: Props) -> tuple[int, list[str]]:
    table = EVENT_TABLE.get(resource_type, {})
    count, keys = 0, []
    for _, event, _row in events_of(resource_type, props):
        n, more = _apply(table[event["Type"]], _map(event.get("Properties")))
        count += n
        keys.extend(more)
    return count, keys


def _embedded_connectors(resource: Props) -> int:
    """A resource's ``Connectors`` attribute becomes AWS::Serverless::Connector resources."""
    connectors = _map(resource.get("Connectors")).values()
    return sum(_connector(_map(_map(c).get("Properties"))) for c in connectors)


def _expand(
    resource_type: Any, props: Props, globals_: Props, parameters: Props
) -> tuple[int, list[str]]:
    """Resources one template entry becomes, and the shared resources it needs."""
    parts = RESOURCE_TABLE.get(resource_type) if isinstance(resource_type, str) else None
    if parts is None:
        return 1, []  # plain CloudFormation resource
    section = globals_section(globals_, resource_type)
    if section is not None:
        props = merge(section, props)
    for path in PARAMETER_PROPERTIES.get(resource_type, ()):
        props = _with_parameters(props, path, parameters)
    count, keys = _apply(parts, props)
    event_count, event_keys = _events(resource_type, props)
    return max(1, count + event_count), keys + event_keys


def expand_count(
    resources: Mapping[str, Any], globals_: Any = None, parameters: Mapping[str, Any] | None = None
) -> Expansion:
    """Count a template's ``Resources`` after the SAM transform. Never raises.

    ``parameters`` maps parameter names to their values (defaults or overrides); a value that is
    not a scalar (e.g. unknown) leaves the reference unresolved.
    """
    resources, globals_, parameters = _map(resources), _map(globals_), _map(parameters)
    by_resource: dict[str, int] = {}
    seen: set[str] = set()
    for logical_id, resource in resources.items():
        resource = _map(resource)
        count, pending = _expand(
            resource.get("Type"), _map(resource.get("Properties")), globals_, parameters
        )
        count += _embedded_connectors(resource)
        while pending:
            key = pending.pop()
            key = f"{logical_id}{key}" if key.startswith(".") else key
            if key in seen:
                continue
            seen.add(key)
            if key in IMPLICIT_APIS:  # the implicit API takes the Globals of its type
                size, more = _expand(IMPLICIT_APIS[key], {}, globals_, parameters)
                count += size
                pending.extend(more)
            else:
                count += 1
        by_resource[str(logical_id)] = count
    for key in seen.intersection(IMPLICIT_APIS, by_resource):
        by_resource[key] = 0  # SAM replaces a declared resource of that name by its implicit API
    return Expansion(len(resources), sum(by_resource.values()), by_resource)
