"""Count the CloudFormation resources a template holds after the AWS SAM transform.

CloudFormation limits a stack to 500 resources, and that limit applies to the *expanded* template:
one ``AWS::Serverless::Function`` with a few events easily becomes five or more resources. This
module estimates the expanded count without running the SAM translator.

Everything is driven by the tables below. Each :class:`Part` says what SAM creates and how many
(a function of the resource or event properties). ``shared`` parts name template-wide resources
(by the logical id SAM gives them) that are created once however many resources need them, such
as the implicit ``ServerlessRestApi`` or the CodeDeploy application. A shared resource is counted
against the first resource (in template order) that needs it, so ``by_resource`` sums to
``expanded``.

The tables were checked against aws-sam-translator 1.115 on the SAM translator test inputs and
the serverless-patterns templates. Inputs are untrusted: nothing here raises, values of the wrong
type are treated as absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
    creates: str  # what SAM adds (documentation only)
    count: Count | None = None  # how many resources this resource owns
    shared: Shared | None = None  # logical ids of template-wide resources it needs


# --------------------------------------------------------------------------- value helpers


def _map(value: Any) -> Props:
    return value if isinstance(value, Mapping) else {}


def _get(props: Props, *path: str) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _is_no_value(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("Ref") == "AWS::NoValue"


def _if_branches(value: Any) -> list[Any] | None:
    """The two branches of a well-formed ``Fn::If``, else None."""
    args = value.get("Fn::If") if isinstance(value, Mapping) and len(value) == 1 else None
    return list(args[1:]) if isinstance(args, list) and len(args) == 3 else None


def _given(value: Any) -> bool:
    """A property counts as set unless absent/empty or every Fn::If branch is AWS::NoValue."""
    branches = _if_branches(value)
    if branches is not None:
        return not all(_is_no_value(b) for b in branches)
    return value not in (None, "", False, {}, [])


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (Mapping, list)) else 0


def _is_false(value: Any) -> bool:
    return value is False or value in ("false", "False")


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)).startswith("Fn::")


# --------------------------------------------------------------------------- rule builders


def always(n: int = 1) -> Count:
    return lambda _props: n


def when(*path: str, n: int = 1) -> Count:
    """``n`` resources when the property at ``path`` is set."""
    return lambda props: n if _given(_get(props, *path)) else 0


def unless(*path: str) -> Count:
    """One resource unless the property at ``path`` is set (e.g. a role unless Role is given)."""
    return lambda props: 0 if _given(_get(props, *path)) else 1


def each(*path: str) -> Count:
    """One resource per entry of the mapping or list at ``path``."""
    return lambda props: _size(_get(props, *path))


# --------------------------------------------------------------------------- Function rules


def _execution_role(props: Props) -> int:
    """SAM creates a role unless Role is given; Role: !If [c, !Ref NoValue, x] -> conditional role."""
    role = props.get("Role")
    branches = _if_branches(role)
    if branches is not None:
        return int(any(_is_no_value(b) for b in branches))
    return int(role is None)


def _public_url(props: Props) -> int:
    config = props.get("FunctionUrlConfig")
    public = isinstance(config, Mapping) and config.get("AuthType") == "NONE"
    return 2 if public and not _is_intrinsic(config) else 0


def _destination_resources(props: Props) -> int:
    """EventInvokeConfig OnSuccess/OnFailure of Type SQS/SNS without Destination -> queue/topic."""
    config = _map(_get(props, "EventInvokeConfig", "DestinationConfig"))
    count = 0
    for name in ("OnSuccess", "OnFailure"):
        target = _map(config.get(name))
        destination = target.get("Destination")
        if target.get("Type") in ("SQS", "SNS") and (
            destination is None or _if_branches(destination) is not None
        ):
            count += 1
    return count


def _deploys(props: Props) -> bool:
    preference = props.get("DeploymentPreference")
    return isinstance(preference, Mapping) and not _is_false(preference.get("Enabled", True))


def _deployment_group(props: Props) -> int:
    return int(_deploys(props))


def _codedeploy_app(props: Props) -> list[str]:
    return ["ServerlessDeploymentApplication"] if _deploys(props) else []


def _codedeploy_role(props: Props) -> list[str]:
    needs = _deploys(props) and not _given(_get(props, "DeploymentPreference", "Role"))
    return ["CodeDeployServiceRole"] if needs else []


def _is_default_route(props: Props) -> bool:
    path, method = props.get("Path"), props.get("Method")
    if not path and not method:
        return True  # SAM turns a bare HttpApi event into the $default route
    return path == "$default" and str(method).lower() in ("any", "x-amazon-apigateway-any-method")


def _routes_covered_by_default(props: Props) -> int:
    """HttpApi events on an API where this function owns $default add no permission (negative).

    SAM only spots this when the integration targets the function itself, not its alias.
    """
    if _given(props.get("AutoPublishAlias")):
        return 0
    default_apis: set[str] = set()
    other_apis: list[str] = []
    for event in _map(props.get("Events")).values():
        event = _map(event)
        if event.get("Type") != "HttpApi":
            continue
        event_props = _map(event.get("Properties"))
        api = repr(event_props.get("ApiId"))
        if _is_default_route(event_props):
            default_apis.add(api)
        else:
            other_apis.append(api)
    return -sum(api in default_apis for api in other_apis)


# --------------------------------------------------------------------------- API rules


def _lambda_authorizers(props: Props, opt_in: bool) -> int:
    """REST APIs add a permission per Lambda authorizer (unless disabled); HTTP APIs only opt-in."""
    authorizers = _map(_get(props, "Auth", "Authorizers"))
    count = 0
    for authorizer in authorizers.values():
        authorizer = _map(authorizer)
        if not _given(authorizer.get("FunctionArn")):
            continue
        if opt_in:
            count += authorizer.get("EnableFunctionDefaultPermissions") is True
        else:
            count += not _given(authorizer.get("DisableFunctionDefaultPermissions"))
    return count


def _usage_plan_mode(props: Props) -> Any:
    return _get(props, "Auth", "UsagePlan", "CreateUsagePlan")


def _usage_plan(props: Props) -> int:
    """PER_API, or an intrinsic (SAM resolves it from a parameter default: assume PER_API)."""
    mode = _usage_plan_mode(props)
    return 3 if mode == "PER_API" or isinstance(mode, Mapping) else 0


def _shared_usage_plan(props: Props) -> list[str]:
    if _usage_plan_mode(props) != "SHARED":
        return []
    return ["ServerlessUsagePlan", "ServerlessApiKey", "ServerlessUsagePlanKey"]


def _domain(props: Props) -> Props:
    return _map(props.get("Domain"))


def _domain_name(v2: bool) -> Shared:
    """DomainName resources are named after the domain, so APIs sharing a domain share one."""

    def keys(props: Props) -> list[str]:
        domain = _domain(props)
        name = domain.get("DomainName")
        if name is None:
            return []
        kind = "V2" if v2 or domain.get("EndpointConfiguration") == "PRIVATE" else ""
        return [f"ApiGatewayDomainName{kind}:{name!r}"]

    return keys


def _base_path_mappings(props: Props) -> int:
    """One mapping per distinct (alphanumeric-normalised) BasePath, one if none is given."""
    domain = _domain(props)
    if not domain:
        return 0
    paths = domain.get("BasePath")
    if isinstance(paths, str) and paths:
        paths = [paths]
    if not isinstance(paths, list) or not paths:
        return 1
    return len({"".join(c for c in str(p) if c.isalnum()) for p in paths})


def _record_set_group(props: Props) -> list[str]:
    """Route53 record sets are grouped per hosted zone across all APIs of the template."""
    route53 = _map(_domain(props).get("Route53"))
    zone = route53.get("HostedZoneId") or route53.get("HostedZoneName")
    if not zone or route53.get("SeparateRecordSetGroup") is True:
        return []
    return [f"RecordSetGroup:{zone!r}"]


def _separate_record_set(props: Props) -> int:
    return int(_get(props, "Domain", "Route53", "SeparateRecordSetGroup") is True)


def _private_domain_association(props: Props) -> int:
    domain = _domain(props)
    private = domain.get("EndpointConfiguration") == "PRIVATE"
    return int(private and _given(domain.get("AccessAssociation")))


def _websocket_authorizer(props: Props) -> int:
    """A CUSTOM authorizer (on $connect) plus its invoke permission unless InvokeRole is given."""
    auth = _map(props.get("Auth"))
    if auth.get("AuthType") != "CUSTOM" or not _given(auth.get("AuthArn")):
        return 0
    has_connect = "$connect" in _map(props.get("Routes"))
    return has_connect + (not _given(auth.get("InvokeRole")))


# --------------------------------------------------------------------------- GraphQLApi rules


def _graphql_logging_role(props: Props) -> int:
    """A CloudWatch role unless Logging is false or names CloudWatchLogsRoleArn."""
    logging = props.get("Logging")
    if logging is False:
        return 0
    return int(not _given(_get(props, "Logging", "CloudWatchLogsRoleArn")))


def _graphql_lambda_auth(props: Props) -> int:
    """An AWS::Lambda::Permission (via a connector) per AWS_LAMBDA authorizer."""
    auth = _map(props.get("Auth"))
    additional = auth.get("Additional")
    auths = [auth, *(additional if isinstance(additional, list) else [])]
    return sum(_map(a).get("Type") == "AWS_LAMBDA" for a in auths)


def _graphql_datasources(props: Props) -> int:
    """DataSource each; without ServiceRoleArn also an IAM role and a connector policy."""
    count = 0
    for kind in ("DynamoDb", "Lambda"):
        for source in _map(_get(props, "DataSources", kind)).values():
            count += 1 if _given(_map(source).get("ServiceRoleArn")) else 3
    return count


def _graphql_functions(props: Props) -> int:
    """A FunctionConfiguration per function not given by Id."""
    return sum(not _given(_map(f).get("Id")) for f in _map(props.get("Functions")).values())


def _graphql_resolvers(props: Props) -> int:
    return sum(_size(fields) for fields in _map(props.get("Resolvers")).values())


def _graphql_none_datasource(props: Props) -> int:
    """One NONE DataSource when a function's DataSource is "none"."""
    sources = [_map(f).get("DataSource") for f in _map(props.get("Functions")).values()]
    return int(any(isinstance(s, str) and s.lower() == "none" for s in sources))


# --------------------------------------------------------------------------- event rules


def _dlq(with_policy: bool) -> Count:
    """DeadLetterConfig without Arn makes SAM create an SQS queue (and, for rules, its policy)."""

    def count(props: Props) -> int:
        config = props.get("DeadLetterConfig")
        if not isinstance(config, Mapping) or "Arn" in config:
            return 0
        return 2 if with_policy else 1

    return count


def _sns(props: Props) -> int:
    sqs = props.get("SqsSubscription")
    if not _given(sqs):
        return 2  # permission + subscription
    if isinstance(sqs, Mapping):
        return 3  # queue policy + subscription + event source mapping (queue given)
    return 4  # queue + queue policy + subscription + event source mapping


def _implicit(prop: str, logical_id: str) -> Shared:
    """Events without an API id go to the implicit API SAM adds once per template."""
    return lambda props: [] if prop in props else [logical_id]


# --------------------------------------------------------------------------- the tables

FUNCTION_PARTS = (
    Part("AWS::Lambda::Function", always()),
    Part("AWS::IAM::Role, unless Role is given", _execution_role),
    Part("AWS::Lambda::Version + AWS::Lambda::Alias with AutoPublishAlias", when("AutoPublishAlias", n=2)),
    Part("AWS::Lambda::Url with FunctionUrlConfig", when("FunctionUrlConfig")),
    Part("2 AWS::Lambda::Permission for a public (AuthType NONE) function URL", _public_url),
    Part("AWS::Lambda::EventInvokeConfig with EventInvokeConfig", when("EventInvokeConfig")),
    Part("AWS::SQS::Queue / AWS::SNS::Topic for destinations without Destination", _destination_resources),
    Part("AWS::CodeDeploy::DeploymentGroup with an enabled DeploymentPreference", _deployment_group),
    Part("minus HttpApi permissions made redundant by the function's $default route",
         _routes_covered_by_default),
    Part("AWS::CodeDeploy::Application, one per template", shared=_codedeploy_app),
    Part("AWS::IAM::Role for CodeDeploy, one per template, unless every preference has Role",
         shared=_codedeploy_role),
)

API_PARTS = (
    Part("AWS::ApiGateway::RestApi + Deployment + Stage", always(3)),
    Part("AWS::Lambda::Permission per Lambda authorizer", lambda p: _lambda_authorizers(p, False)),
    Part("UsagePlan + ApiKey + UsagePlanKey with CreateUsagePlan PER_API", _usage_plan),
    Part("ServerlessUsagePlan/ApiKey/UsagePlanKey, with CreateUsagePlan SHARED",
         shared=_shared_usage_plan),
    Part("AWS::ApiGateway::DomainName(V2), one per Domain.DomainName", shared=_domain_name(False)),
    Part("AWS::ApiGateway::BasePathMapping(V2) per Domain.BasePath", _base_path_mappings),
    Part("AWS::ApiGateway::DomainNameAccessAssociation for a private Domain", _private_domain_association),
    Part("AWS::Route53::RecordSetGroup with Domain.Route53.SeparateRecordSetGroup", _separate_record_set),
    Part("AWS::Route53::RecordSetGroup, one per hosted zone", shared=_record_set_group),
)

HTTP_API_PARTS = (
    Part("AWS::ApiGatewayV2::Api + Stage", always(2)),
    Part("AWS::Lambda::Permission per authorizer with EnableFunctionDefaultPermissions",
         lambda p: _lambda_authorizers(p, True)),
    Part("AWS::ApiGatewayV2::DomainName, one per Domain.DomainName", shared=_domain_name(True)),
    Part("AWS::ApiGatewayV2::ApiMapping per Domain.BasePath", _base_path_mappings),
    Part("AWS::Route53::RecordSetGroup with Domain.Route53.SeparateRecordSetGroup", _separate_record_set),
    Part("AWS::Route53::RecordSetGroup, one per hosted zone", shared=_record_set_group),
)

WEBSOCKET_API_PARTS = (
    Part("AWS::ApiGatewayV2::Api + Stage", always(2)),
    Part("AWS::ApiGatewayV2::Route + Integration + AWS::Lambda::Permission per route",
         lambda p: 3 * _size(p.get("Routes"))),
    Part("AWS::ApiGatewayV2::Authorizer + its AWS::Lambda::Permission", _websocket_authorizer),
    Part("AWS::ApiGatewayV2::DomainName, one per Domain.DomainName", shared=_domain_name(True)),
    Part("AWS::ApiGatewayV2::ApiMapping per Domain.BasePath", _base_path_mappings),
    Part("AWS::Route53::RecordSetGroup with Domain.Route53.SeparateRecordSetGroup", _separate_record_set),
    Part("AWS::Route53::RecordSetGroup, one per hosted zone", shared=_record_set_group),
)

GRAPHQL_API_PARTS = (
    Part("AWS::AppSync::GraphQLApi + GraphQLSchema", always(2)),
    Part("AWS::Lambda::Permission per AWS_LAMBDA authorizer", _graphql_lambda_auth),
    Part("AWS::IAM::Role for logging, unless Logging: false or CloudWatchLogsRoleArn",
         _graphql_logging_role),
    Part("AWS::AppSync::ApiKey per ApiKeys entry", each("ApiKeys")),
    Part("AWS::AppSync::ApiCache with Cache", when("Cache")),
    Part("AWS::AppSync::DataSource (+ IAM role + policy) per DataSources entry", _graphql_datasources),
    Part("AWS::AppSync::DomainName + DomainNameApiAssociation with DomainName", when("DomainName", n=2)),
    Part("AWS::AppSync::FunctionConfiguration per Functions entry", _graphql_functions),
    Part("AWS::AppSync::Resolver per Resolvers.<Type>.<Field>", _graphql_resolvers),
    Part("AWS::AppSync::DataSource of type NONE, once", _graphql_none_datasource),
)

STATE_MACHINE_PARTS = (
    Part("AWS::StepFunctions::StateMachine", always()),
    Part("AWS::IAM::Role, unless Role is given", unless("Role")),
    Part("StateMachineVersion + StateMachineAlias with AutoPublishAlias", when("AutoPublishAlias", n=2)),
)

RESOURCE_TABLE: dict[str, tuple[Part, ...]] = {
    "AWS::Serverless::Function": FUNCTION_PARTS,
    "AWS::Serverless::Api": API_PARTS,
    "AWS::Serverless::HttpApi": HTTP_API_PARTS,
    "AWS::Serverless::StateMachine": STATE_MACHINE_PARTS,
    "AWS::Serverless::WebSocketApi": WEBSOCKET_API_PARTS,
    "AWS::Serverless::GraphQLApi": GRAPHQL_API_PARTS,
    # AWS::DynamoDB::Table
    "AWS::Serverless::SimpleTable": (Part("AWS::DynamoDB::Table", always()),),
    # AWS::Lambda::LayerVersion (logical id gets a content hash)
    "AWS::Serverless::LayerVersion": (Part("AWS::Lambda::LayerVersion", always()),),
    # AWS::CloudFormation::Stack
    "AWS::Serverless::Application": (Part("AWS::CloudFormation::Stack", always()),),
    "AWS::Serverless::Connector": (
        Part("one policy/permission per Destination", lambda p: max(1, _size(p.get("Destination")))
             if isinstance(p.get("Destination"), list) else 1),
    ),
    "AWS::Serverless::CapacityProvider": (
        Part("AWS::Lambda::CapacityProvider", always()),
        Part("AWS::IAM::Role operator role, unless OperatorRole is given", unless("OperatorRole")),
    ),
}

# Events of AWS::Serverless::Function, by event Type.
FUNCTION_EVENTS: dict[str, tuple[Part, ...]] = {
    "Api": (
        Part("AWS::Lambda::Permission", always()),
        Part("implicit ServerlessRestApi, without RestApiId", shared=_implicit("RestApiId", "ServerlessRestApi")),
    ),
    "HttpApi": (
        Part("AWS::Lambda::Permission", always()),
        Part("implicit ServerlessHttpApi, without ApiId", shared=_implicit("ApiId", "ServerlessHttpApi")),
    ),
    "S3": (Part("AWS::Lambda::Permission (the bucket gets the notification)", always()),),
    "SNS": (Part("Permission + Subscription; SqsSubscription: queue, policy, mapping", _sns),),
    "Schedule": (
        Part("AWS::Events::Rule + AWS::Lambda::Permission", always(2)),
        Part("SQS queue + queue policy for DeadLetterConfig without Arn", _dlq(True)),
    ),
    "CloudWatchEvent": (
        Part("AWS::Events::Rule + AWS::Lambda::Permission", always(2)),
        Part("SQS queue + queue policy for DeadLetterConfig without Arn", _dlq(True)),
    ),
    "ScheduleV2": (
        Part("AWS::Scheduler::Schedule", always()),
        Part("AWS::IAM::Role, unless RoleArn is given", unless("RoleArn")),
        Part("SQS queue for DeadLetterConfig without Arn", _dlq(False)),
    ),
    "CloudWatchLogs": (Part("AWS::Lambda::Permission + AWS::Logs::SubscriptionFilter", always(2)),),
    "IoTRule": (Part("AWS::Lambda::Permission + AWS::IoT::TopicRule", always(2)),),
    "AlexaSkill": (Part("AWS::Lambda::Permission", always()),),
    "Cognito": (Part("AWS::Lambda::Permission, one per function", shared=lambda _p: [".Cognito"]),),
    # Pull sources: one AWS::Lambda::EventSourceMapping each.
    **{
        kind: (Part("AWS::Lambda::EventSourceMapping", always()),)
        for kind in ("SQS", "Kinesis", "DynamoDB", "MSK", "MQ", "SelfManagedKafka", "DocumentDB")
    },
}
FUNCTION_EVENTS["EventBridgeRule"] = FUNCTION_EVENTS["CloudWatchEvent"]

# Events of AWS::Serverless::StateMachine: SAM creates a role for the source to start executions.
STATE_MACHINE_EVENTS: dict[str, tuple[Part, ...]] = {
    "Api": (
        Part("AWS::IAM::Role for API Gateway", always()),
        Part("implicit ServerlessRestApi, without RestApiId", shared=_implicit("RestApiId", "ServerlessRestApi")),
    ),
    "Schedule": (
        Part("AWS::Events::Rule", always()),
        Part("AWS::IAM::Role, unless RoleArn is given", unless("RoleArn")),
        Part("SQS queue + queue policy for DeadLetterConfig without Arn", _dlq(True)),
    ),
    "CloudWatchEvent": (
        Part("AWS::Events::Rule + AWS::IAM::Role", always(2)),
        Part("SQS queue + queue policy for DeadLetterConfig without Arn", _dlq(True)),
    ),
    "ScheduleV2": FUNCTION_EVENTS["ScheduleV2"],
}
STATE_MACHINE_EVENTS["EventBridgeRule"] = STATE_MACHINE_EVENTS["CloudWatchEvent"]

EVENT_TABLE = {
    "AWS::Serverless::Function": FUNCTION_EVENTS,
    "AWS::Serverless::StateMachine": STATE_MACHINE_EVENTS,
}

# Template-wide resources that stand for a whole implicit API: (resource type, Globals section).
IMPLICIT_APIS = {
    "ServerlessRestApi": ("AWS::Serverless::Api", "Api"),
    "ServerlessHttpApi": ("AWS::Serverless::HttpApi", "HttpApi"),
}

# Globals sections merged into resources of each type.
GLOBALS_SECTIONS = {f"AWS::Serverless::{name}": name for name in (
    "Function", "Api", "HttpApi", "SimpleTable", "StateMachine", "LayerVersion", "CapacityProvider",
    "WebSocketApi",
)}


# --------------------------------------------------------------------------- evaluation


def _merge(base: Any, override: Any) -> Any:
    """SAM's Globals merge: maps merge key by key, lists concatenate, otherwise the resource wins."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


def _apply(parts: Iterable[Part], props: Props) -> tuple[int, list[str]]:
    count, shared = 0, []
    for part in parts:
        try:
            if part.count is not None:
                count += int(part.count(props))
            if part.shared is not None:
                shared.extend(part.shared(props))
        except Exception:
            continue
    return count, shared


def _events(resource_type: str, props: Props) -> tuple[int, list[str]]:
    table = EVENT_TABLE.get(resource_type, {})
    count, shared = 0, []
    for event in _map(props.get("Events")).values():
        event = _map(event)
        parts = table.get(event.get("Type"), ()) if isinstance(event.get("Type"), str) else ()
        n, keys = _apply(parts, _map(event.get("Properties")))
        count, shared = count + n, shared + keys
    return count, shared


def _connectors(resource: Props) -> int:
    """Resource-level ``Connectors`` become AWS::Serverless::Connector resources."""
    parts = RESOURCE_TABLE["AWS::Serverless::Connector"]
    return sum(_apply(parts, _map(_map(c).get("Properties")))[0]
               for c in _map(resource.get("Connectors")).values())


def _expand(resource_type: Any, props: Props, globals_: Props) -> tuple[int, list[str]]:
    """Resources one template entry becomes, plus the shared resources it needs."""
    parts = RESOURCE_TABLE.get(resource_type) if isinstance(resource_type, str) else None
    if parts is None:
        return 1, []  # plain CloudFormation (or unknown) resource
    section = globals_.get(GLOBALS_SECTIONS.get(resource_type, ""))
    if isinstance(section, Mapping):
        props = _merge(section, props)
    count, shared = _apply(parts, props)
    n, keys = _events(resource_type, props)
    return max(1, count + n), shared + keys


def _shared_size(key: str, globals_: Props, seen: set[str]) -> tuple[int, list[str]]:
    implicit = IMPLICIT_APIS.get(key)
    if implicit is None:
        return 1, []
    return _expand(implicit[0], {}, globals_)


def expand_count(resources: Mapping[str, Any], globals_: Any = None) -> Expansion:
    """Count ``resources`` (a template's Resources) after the SAM transform. Never raises."""
    resources = _map(resources)
    globals_ = _map(globals_)
    by_resource: dict[str, int] = {}
    seen: set[str] = set()
    for logical_id, resource in resources.items():
        resource = _map(resource)
        count, pending = _expand(resource.get("Type"), _map(resource.get("Properties")), globals_)
        count += _connectors(resource)
        while pending:
            key = pending.pop()
            key = f"{logical_id}{key}" if key.startswith(".") else key  # scoped to this resource
            if key in seen:
                continue
            seen.add(key)
            size, more = _shared_size(key, globals_, seen)
            count += size
            pending.extend(more)
        by_resource[str(logical_id)] = count
    for key in seen.intersection(IMPLICIT_APIS).intersection(by_resource):
        by_resource[key] = 0  # SAM replaces a declared resource of that name with the implicit API
    return Expansion(len(resources), sum(by_resource.values()), by_resource)
