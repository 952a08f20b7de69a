"""Observability settings teams expect on every resource (off by default, tag `observability`):
X-Ray tracing, log retention, access logs and explicit function sizing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import sam
from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Conditions,
    Located,
    alternatives,
    merge_conditions,
)
from ..load import Path
from ..model import Model
from ..template import FUNCTION_TYPES, SAM_FUNCTION, Resource, Template
from .apigateway import MANAGED_OVERRIDES, http_protocol, managed_overrides


@dataclass(frozen=True)
class Setting:
    """One value a setting takes on one `Fn::If` side: NO_VALUE when it is absent, UNKNOWN when
    it cannot be known; `at` is the value, or the mapping (or resource) that should hold it."""

    value: Any
    at: Place
    when: Conditions


def _key_place(path: Path) -> Place:
    """A mapping or resource by its key, an `Fn::If` side by its value."""
    return Place(path, key=isinstance(path[-1], str))


def _leaves(t: Template, start: Located, keys: tuple[str, ...]) -> Iterator[Setting]:
    for side in alternatives(start.value, start.path, start.conditions, t.known_conditions):
        if side.value == {"Ref": "AWS::NoValue"} or side.value is None:
            yield Setting(NO_VALUE, _key_place(side.path), side.conditions)
        elif not keys:
            for branch in t.branches(side.value):
                when = merge_conditions(side.conditions, branch.conditions)
                if when is not None:
                    yield Setting(branch.value, Place(side.path), when)
        elif not _is_mapping(side.value):  # a parameter, FindInMap, ...: not followed
            yield Setting(UNKNOWN, Place(side.path), side.conditions)
        elif keys[0] in side.value:
            child = Located(side.value[keys[0]], (*side.path, keys[0]), side.conditions)
            yield from _leaves(t, child, keys[1:])
        else:
            yield Setting(NO_VALUE, _key_place(side.path), side.conditions)


def settings_of(t: Template, resource: Resource, keys: tuple[str, ...]) -> list[Setting]:
    """The values of the property at `keys` on each side, own or from SAM Globals (a mapping
    merges with its Globals one, so a key written only in Globals counts)."""
    full = t.prop(resource, *keys)
    if full is not None:
        return list(_leaves(t, Located(full.raw, full.path), ()))
    top = t.prop(resource, keys[0])
    if top is None:
        return [Setting(NO_VALUE, Place(resource.path, key=True), ())]
    return list(_leaves(t, Located(top.raw, top.path), keys[1:]))


def _globals_settings(t: Template, section: str, keys: tuple[str, ...], anchor: Place
                      ) -> list[Setting]:
    """The values of a SAM Globals setting (for the APIs SAM creates implicitly)."""
    body = t.globals.get(section)
    raw = body.get(keys[0]) if isinstance(body, dict) else None
    if raw is None:
        return [Setting(NO_VALUE, anchor, ())]
    return list(_leaves(t, Located(raw, ("Globals", section, keys[0])), keys[1:]))


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _missing(settings: list[Setting], wanted: Callable[[Any], bool]) -> Iterator[Setting]:
    """The sides on which the setting is certainly absent or not the wanted value."""
    for setting in settings:
        if setting.value is UNKNOWN:
            continue
        if setting.value is NO_VALUE or setting.value is None or not wanted(setting.value):
            yield setting


def _hits(rule: Rule, resource_id: str, settings: list[Setting], wanted: Callable[[Any], bool],
          message: Callable[[Setting], str]) -> Iterator[Hit]:
    for setting in _missing(settings, wanted):
        yield rule.hit(message(setting), setting.at, resource_id, when=setting.when)


def _written(setting: Setting) -> str:
    if setting.value is NO_VALUE:
        return "is absent"
    if isinstance(setting.value, bool):
        return f"is {str(setting.value).lower()}"
    return f"is {setting.value!r}"


# --- IA1011 function-without-tracing ----------------------------------------------------------

DISTRIBUTION = "AWS::CloudFront::Distribution"
LAMBDA_VERSION = "AWS::Lambda::Version"
LAMBDA_ALIAS = "AWS::Lambda::Alias"
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


def _referenced_ids(raw: Any) -> Iterator[str]:
    """Every logical id `raw` mentions through Ref, GetAtt or Sub (SAM's `Fn.Version` too)."""
    if isinstance(raw, list):
        for item in raw:
            yield from _referenced_ids(item)
    elif isinstance(raw, dict):
        for name, argument in raw.items():
            if name == "Ref" and isinstance(argument, str):
                yield argument.split(".")[0]
            elif name == "Fn::GetAtt":
                first = argument.split(".")[0] if isinstance(argument, str) else (
                    argument[0] if isinstance(argument, list) and argument else None)
                if isinstance(first, str):
                    yield first
            elif name == "Fn::Sub":
                text = argument[0] if isinstance(argument, list) and argument else argument
                if isinstance(text, str):
                    yield from _SUB_NAME.findall(text)
                yield from _referenced_ids(argument[1:] if isinstance(argument, list) else [])
            else:
                yield from _referenced_ids(argument)


EDGE_PRINCIPAL = "edgelambda.amazonaws.com"


def _edge_functions(t: Template) -> set[str]:
    """Functions that run at the edge (Lambda@Edge): named in a `LambdaFunctionAssociations`
    item of a distribution of the template, directly or through a version or alias, or whose
    execution role trusts edgelambda.amazonaws.com (a distribution in another stack)."""
    found = {function.logical_id for function in t.of_type(*sorted(FUNCTION_TYPES))
             if _trusts_edge(t, function)}
    for distribution in t.of_type(DISTRIBUTION):
        for association in _associations(distribution.properties):
            pending = list(_referenced_ids(association))
            seen: set[str] = set()
            while pending:
                logical_id = pending.pop()
                resource = t.resources.get(logical_id)
                if resource is None or logical_id in seen:
                    continue
                seen.add(logical_id)
                if resource.type in FUNCTION_TYPES:
                    found.add(logical_id)
                elif resource.type in (LAMBDA_VERSION, LAMBDA_ALIAS):
                    pending += _referenced_ids(resource.properties.get("FunctionName"))
    return found


def _trusts_edge(t: Template, function: Resource) -> bool:
    """Whether the function's execution role may be assumed by Lambda@Edge."""
    role = t.resource_at(function.properties.get("Role"))
    trust = [role.properties.get("AssumeRolePolicyDocument") if role is not None else None,
             function.properties.get("AssumeRolePolicyDocument")]  # SAM's own role
    return EDGE_PRINCIPAL in json.dumps(trust, default=str)


def _associations(raw: Any) -> Iterator[Any]:
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key == "LambdaFunctionAssociations":
                yield value
            else:
                yield from _associations(value)
    elif isinstance(raw, list):
        for item in raw:
            yield from _associations(item)


# Event source mappings of functions X-Ray cannot trace (Edge.origin).
UNTRACED_SOURCES = frozenset({"msk", "kafka", "mq", "docdb"})


def _untraceable(m: Model) -> set[str]:
    """Functions X-Ray does not trace: run at the edge, or read by a Kafka, MQ or DocumentDB
    event source mapping."""
    found = _edge_functions(m.template)
    for function_id, edges in m.graph.invoked_functions().items():
        if any(edge.origin in UNTRACED_SOURCES for edge in edges):
            found.add(function_id)
    return found


def function_without_tracing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    untraceable = _untraceable(m)
    for function in t.of_type(*sorted(FUNCTION_TYPES)):
        if function.logical_id in untraceable:
            continue
        if function.type == SAM_FUNCTION:
            settings, fix = settings_of(t, function, ("Tracing",)), "Tracing: Active"
        else:
            settings = settings_of(t, function, ("TracingConfig", "Mode"))
            fix = "TracingConfig: {Mode: Active}"
        yield from _hits(
            rule, function.logical_id, settings,
            lambda v: isinstance(v, str) and v.strip().lower() == "active",
            lambda s, fid=function.logical_id, fix=fix: (
                f"Function '{fid}' has no active X-Ray tracing (its tracing mode "
                f"{_written(s)}): add `{fix}` so each invocation is traced"))


# --- IA1013 function-default-timeout, IA1014 function-default-memory --------------------------

def _unset_function_property(m: Model, rule: Rule, key: str, default: str) -> Iterator[Hit]:
    t = m.template
    for function in t.of_type(*sorted(FUNCTION_TYPES)):
        where = "the function (or `Globals.Function`)" if function.type == SAM_FUNCTION \
            else "the function"
        yield from _hits(
            rule, function.logical_id, settings_of(t, function, (key,)), lambda v: True,
            lambda s, fid=function.logical_id, where=where: (
                f"Function '{fid}' has no {key}: it runs with Lambda's default of {default}; "
                f"set `{key}` on {where} to the value it needs"))


def function_default_timeout(m: Model, rule: Rule) -> Iterator[Hit]:
    yield from _unset_function_property(m, rule, "Timeout", "3 seconds")


def function_default_memory(m: Model, rule: Rule) -> Iterator[Hit]:
    yield from _unset_function_property(m, rule, "MemorySize", "128 MB")


# --- IA1012 function-log-retention-unset ------------------------------------------------------

LOG_GROUP = "AWS::Logs::LogGroup"
LAMBDA_PREFIX = "/aws/lambda/"


def _name_text(t: Template, raw: Any, depth: int = 0) -> str | None:
    """A name as comparable text: a resource's `Ref` is `\\0Id\\0`, pseudo parameters stay
    symbolic; None when a part is unknown."""
    if depth > 8:
        return None
    if isinstance(raw, dict) and len(raw) == 1:
        (name, argument), = raw.items()
        if name == "Ref" and isinstance(argument, str) and argument in t.resources:
            return f"\0{argument}\0"
        if name == "Fn::Sub":
            return _sub_text(t, argument, depth)
        if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 \
                and isinstance(argument[0], str) and isinstance(argument[1], list):
            parts = [_name_text(t, part, depth + 1) for part in argument[1]]
            return None if None in parts else argument[0].join(parts)  # type: ignore[arg-type]
    return t.resolver.text(raw)


def _sub_text(t: Template, argument: Any, depth: int) -> str | None:
    variables: dict[str, Any] = {}
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
        argument, variables = argument
    if not isinstance(argument, str):
        return None
    pieces, position = [], 0
    for match in re.finditer(r"\$\{([^}]*)\}", argument):
        name = match.group(1)
        if name in variables:
            piece = _name_text(t, variables[name], depth + 1)
        elif name in t.resources:
            piece = f"\0{name}\0"
        else:
            piece = t.resolver.text({"Fn::Sub": match.group(0)})
        if piece is None:
            return None
        pieces += [argument[position:match.start()], piece]
        position = match.end()
    return "".join(pieces) + argument[position:]


def _log_groups(t: Template) -> tuple[dict[str, list[Resource]], bool]:
    """Log groups (and custom resources that set a log group's retention) by name text, and
    whether some log group's name cannot be known (it may be any function's)."""
    by_name: dict[str, list[Resource]] = {}
    unknown = False
    for resource in t.resources.values():
        props = resource.properties
        if resource.type != LOG_GROUP and not (
                resource.type.startswith("Custom::") and "RetentionInDays" in props):
            continue
        if props.get("LogGroupName") is None:
            continue  # a generated name: no function writes there by default
        name = _name_text(t, props["LogGroupName"])
        if name is None:
            unknown = True
        else:
            by_name.setdefault(name, []).append(resource)
    return by_name, unknown


def _function_names(t: Template, function: Resource) -> set[str]:
    names = {f"\0{function.logical_id}\0"}
    declared = function.properties.get("FunctionName")
    if declared is not None:
        text = _name_text(t, declared)
        if text is not None and "\0" not in text:
            names.add(text)
    return names


def _retention_absent(t: Template, group: Resource) -> list[Conditions]:
    """The sides on which the log group does not exist or keeps events forever."""
    if group.condition:
        absent: list[Conditions] = [((group.condition, False),)]
    else:
        absent = []
    raw = group.properties.get("RetentionInDays")
    for setting in _leaves(t, Located(raw, (*group.properties_path, "RetentionInDays")), ()):
        if setting.value is NO_VALUE:
            absent.append(setting.when)
    return absent


def function_log_retention_unset(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    by_name, unknown_names = _log_groups(t)
    at_edge = _edge_functions(t)
    for function in t.of_type(*sorted(FUNCTION_TYPES)):
        if function.logical_id in at_edge:
            continue  # its logs go to a log group in each region it runs in
        logging = t.prop(function, "LoggingConfig")
        if logging is not None and not _is_mapping(logging.raw):
            continue  # an intrinsic: the log group it names on each side is not followed
        configured = t.prop(function, "LoggingConfig", "LogGroup")
        if configured is not None:
            groups = _configured_groups(t, configured.raw, by_name)
            if groups is None:
                continue  # a log group outside the template, or not known: nothing to say
            anchor = Place(configured.path)
        else:
            if unknown_names:
                continue
            groups = [g for name in _function_names(t, function)
                      for g in by_name.get(LAMBDA_PREFIX + name, [])]
            anchor = Place(function.path, key=True)
        yield from _retention_hits(t, rule, function, groups, anchor)


def _is_mapping(raw: Any) -> bool:
    """A mapping as written, not an intrinsic function (`Fn::If`, `Ref`, ...)."""
    if not isinstance(raw, dict):
        return False
    return not (len(raw) == 1 and (next(iter(raw)) == "Ref" or next(iter(raw)).startswith("Fn::")))


def _configured_groups(t: Template, raw: Any, by_name: dict[str, list[Resource]]
                       ) -> list[Resource] | None:
    """The template's log groups a `LoggingConfig.LogGroup` names; None when it names none."""
    target = t.resource_at(raw)
    if target is not None:
        return [target] if target.type == LOG_GROUP else None
    text = _name_text(t, raw)
    return by_name.get(text) if text is not None else None


def _retention_hits(t: Template, rule: Rule, function: Resource, groups: list[Resource],
                    anchor: Place) -> Iterator[Hit]:
    fid = function.logical_id
    if not groups:
        yield rule.hit(
            f"Function '{fid}' has no log group with RetentionInDays in this template for its "
            "logs, so CloudWatch Logs keeps them forever (and bills their storage): declare "
            f"an AWS::Logs::LogGroup with LogGroupName `!Sub /aws/lambda/${{{fid}}}` and "
            "RetentionInDays (or point LoggingConfig.LogGroup at one)",
            anchor, fid)
        return
    sides = [_retention_absent(t, group) for group in groups]
    if any(not absent for absent in sides):
        return  # one log group keeps the logs for a limited time on every side
    for when in sides[0] if len(groups) == 1 else [()]:
        group = groups[0]
        yield rule.hit(
            f"Function '{fid}' logs to log group '{group.logical_id}', which has no "
            "RetentionInDays, so "
            "CloudWatch Logs keeps its events forever (and bills their storage): set "
            "RetentionInDays on the log group",
            anchor, fid, [Place(group.path, key=True, message="the function's log group")],
            when=when)


# --- IA2009 api-without-access-logs, IA2010 api-access-logs-not-structured,
# --- IA2011 rest-api-without-tracing ------------------------------------------------------------

REST_STAGE = "AWS::ApiGateway::Stage"
REST_DEPLOYMENT = "AWS::ApiGateway::Deployment"
V2_STAGE = "AWS::ApiGatewayV2::Stage"
V2_API = "AWS::ApiGatewayV2::Api"
SAM_API = "AWS::Serverless::Api"
SAM_HTTP_API = "AWS::Serverless::HttpApi"
SAM_WEBSOCKET_API = "AWS::Serverless::WebSocketApi"
V1_LOGS, V2_LOGS = "AccessLogSetting", "AccessLogSettings"
IMPLICIT = {"Api": ("RestApiId", "Api", V1_LOGS, "ServerlessRestApi"),
            "HttpApi": ("ApiId", "HttpApi", V2_LOGS, "ServerlessHttpApi")}


def _stages(t: Template) -> Iterator[tuple[Resource, tuple[str, ...], str]]:
    """Each API stage the template declares: (resource, the path of its access log settings
    below Properties, what it is)."""
    for stage in t.of_type(REST_STAGE):
        yield stage, (V1_LOGS,), "REST API stage"
    for deployment in t.of_type(REST_DEPLOYMENT):
        if deployment.properties.get("StageName") is not None:  # it creates that stage
            yield deployment, ("StageDescription", V1_LOGS), "REST API deployment's stage"
    for stage in t.of_type(V2_STAGE):
        yield stage, (V2_LOGS,), "API stage"
    for api in t.of_type(V2_API):
        if "Target" in api.properties and http_protocol(t, api):  # quick create's $default
            overrides = managed_overrides(t, api)
            yield overrides or api, ("Stage", V2_LOGS), (
                f"HTTP API $default stage (quick create, configured by {MANAGED_OVERRIDES})")
    for api in t.of_type(SAM_API):
        yield api, (V1_LOGS,), "REST API"
    for api in t.of_type(SAM_HTTP_API):
        yield api, (V2_LOGS,), "HTTP API"
    for api in t.of_type(SAM_WEBSOCKET_API):
        yield api, (V2_LOGS,), "WebSocket API"


def _implicit_apis(t: Template) -> Iterator[tuple[str, str, list[Place]]]:
    """The APIs SAM creates for `Api`/`HttpApi` events without an API id: (event type, Globals
    section, the events)."""
    events: dict[str, list[Place]] = {}
    for owner in t.of_type(*sam.EVENT_OWNERS):
        for name, event, _ in sam.events_of(owner.type, owner.properties):
            kind = event.get("Type")
            if kind not in IMPLICIT:
                continue
            props = event.get("Properties")
            if isinstance(props, dict) and props.get(IMPLICIT[kind][0]) is not None:
                continue
            path = (*owner.properties_path, "Events", name)
            events.setdefault(kind, []).append(Place(path, key=True))
    for kind, places in events.items():
        yield kind, IMPLICIT[kind][1], places


def api_without_access_logs(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource, keys, kind in _stages(t):
        rid = resource.logical_id
        yield from _hits(
            rule, rid, settings_of(t, resource, (*keys, "DestinationArn")), lambda v: True,
            lambda s, rid=rid, kind=kind, keys=keys: (
                f"{kind[0].upper()}{kind[1:]} '{rid}' has no access logs: add "
                f"`{'.'.join(keys)}` with a DestinationArn (a log group ARN) and a Format"))
    for kind, section, events in _implicit_apis(t):
        logs, implicit_id = IMPLICIT[kind][2], IMPLICIT[kind][3]
        settings = _globals_settings(t, section, (logs, "DestinationArn"), events[0])
        for setting in _missing(settings, lambda v: True):
            yield rule.hit(
                f"The {'REST' if kind == 'Api' else 'HTTP'} API SAM creates for {kind} events "
                f"({implicit_id}) has no access logs: add `Globals.{section}.{logs}` with a "
                "DestinationArn and a Format, or declare the API",
                setting.at, events[0].path[1], events[1:], when=setting.when)


_VARIABLE = re.compile(r"\$(?:context|stageVariables)\.[A-Za-z0-9_.\-]+(?:\[['\"][^'\"]*['\"]\])?")


def json_problem(log_format: str) -> str | None:
    """Why the format is not a JSON object once each `$context` variable is given a value; None
    when it is one."""
    try:
        parsed = json.loads(_VARIABLE.sub("0", log_format))
    except ValueError as error:
        if log_format.lstrip().startswith("{"):
            return f"invalid JSON: {getattr(error, 'msg', error)}"
        return "it is not JSON"
    return None if isinstance(parsed, dict) else "it is not a JSON object"


def api_access_logs_not_structured(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    places = [(r.logical_id, f"'{r.logical_id}'", settings_of(t, r, (*keys, "Format")))
              for r, keys, _ in _stages(t)]
    for kind, section, events in _implicit_apis(t):
        label = f"the API SAM creates for {kind} events ({IMPLICIT[kind][3]})"
        places.append((str(events[0].path[1]), label, _globals_settings(
            t, section, (IMPLICIT[kind][2], "Format"), events[0])))
    for resource_id, label, settings in places:
        for setting in settings:
            problem = json_problem(setting.value) if isinstance(setting.value, str) else None
            if problem is not None:
                yield rule.hit(
                    f"The access log Format of {label} is not a JSON object ({problem}): write "
                    "it as one (e.g. {\"requestId\":\"$context.requestId\",\"status\":"
                    "\"$context.status\"}) so CloudWatch Logs Insights and metric filters can "
                    "query its fields",
                    setting.at, resource_id, when=setting.when)


def rest_api_without_tracing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource, keys, kind in _stages(t):
        if resource.type in (V2_STAGE, V2_API, MANAGED_OVERRIDES, SAM_HTTP_API,
                             SAM_WEBSOCKET_API):
            continue  # API Gateway does not trace HTTP or WebSocket APIs
        path = (*keys[:-1], "TracingEnabled")
        rid = resource.logical_id
        yield from _hits(
            rule, rid, settings_of(t, resource, path), _is_true,
            lambda s, rid=rid, kind=kind, path=path: (
                f"{kind[0].upper()}{kind[1:]} '{rid}' does not trace requests with X-Ray "
                f"(TracingEnabled {_written(s)}): set `{'.'.join(path)}: true`"))
    for kind, section, events in _implicit_apis(t):
        if kind != "Api":
            continue
        settings = _globals_settings(t, section, ("TracingEnabled",), events[0])
        for setting in _missing(settings, _is_true):
            yield rule.hit(
                "The REST API SAM creates for Api events (ServerlessRestApi) does not trace "
                f"requests with X-Ray (TracingEnabled {_written(setting)}): set "
                "`Globals.Api.TracingEnabled: true`, or declare the API",
                setting.at, events[0].path[1], events[1:], when=setting.when)


# --- IA2012 appsync-without-tracing, IA5004 state-machine-without-tracing ---------------------

GRAPHQL_APIS = ("AWS::AppSync::GraphQLApi", "AWS::Serverless::GraphQLApi")
STATE_MACHINE = "AWS::StepFunctions::StateMachine"


def appsync_without_tracing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for api in t.of_type(*GRAPHQL_APIS):
        aid = api.logical_id
        yield from _hits(
            rule, aid, settings_of(t, api, ("XrayEnabled",)), _is_true,
            lambda s, aid=aid: (f"GraphQL API '{aid}' does not trace requests with X-Ray "
                                f"(XrayEnabled {_written(s)}): set `XrayEnabled: true`"))


def state_machine_without_tracing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for machine in t.of_type(STATE_MACHINE, sam.SAM_STATE_MACHINE):
        key = "Tracing" if machine.type == sam.SAM_STATE_MACHINE else "TracingConfiguration"
        sid = machine.logical_id
        yield from _hits(
            rule, sid, settings_of(t, machine, (key, "Enabled")), _is_true,
            lambda s, sid=sid, key=key: (
                f"State machine '{sid}' does not trace executions with X-Ray ({key}.Enabled "
                f"{_written(s)}): set `{key}: {{Enabled: true}}`"))
