"""API Gateway in front of Lambda: the integration timeout against the function timeout."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from .. import sam
from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import SYNC, Edge
from ..intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Branch,
    Conditions,
    Located,
    alternatives,
    as_number,
    combine,
    items,
    merge_conditions,
    within,
)
from ..load import Path
from ..model import Model
from ..template import SAM_FUNCTION, Resource, Template, Value
from . import at_edge, at_value, seconds

API_NAMES = {"rest-api": "REST API", "http-api": "HTTP API"}
OPTIONS = {"rest-api": "api_timeout_seconds", "http-api": "http_api_timeout_seconds"}


def _integration_timeouts(t: Template, rule: Rule, edge: Edge) -> list[Branch]:
    """The integration timeout in seconds on each branch: TimeoutInMillis where set, else the
    API's default (a response-streaming integration too: it may be raised up to 15 minutes,
    but only by its own TimeoutInMillis). Only where the edge exists."""
    default = [Branch(rule.option(OPTIONS[edge.origin or ""]))]
    timeouts = default
    for key in ("TimeoutInMillis", "timeoutInMillis"):
        setting = t.prop_at((*edge.settings, key))
        if setting is not None and setting.raw is not None:
            timeouts = [_seconds(b, default) for b in t.branches(setting)]
            break
    return [Branch(v[0], when) for v, when in combine(timeouts, [Branch(None, edge.conditions)])]


def _seconds(branch: Branch, default: list[Branch]) -> Branch:
    """Milliseconds to seconds; AWS::NoValue means the API's default, unknown stays None."""
    if branch.value is NO_VALUE:
        return Branch(default[0].value, branch.conditions)
    number = as_number(branch.value)
    return Branch(number / 1000 if number is not None else None, branch.conditions)


def _api_edges(edges: list[Edge]) -> list[Edge]:
    """Synchronous API integrations, once per integration (an `Api` event and the OpenAPI body
    it uses are one integration)."""
    unique: dict[tuple, Edge] = {}
    for edge in edges:
        if edge.mode == SYNC and edge.origin in API_NAMES:
            unique.setdefault((edge.settings, edge.conditions), edge)
    return list(unique.values())


def function_timeout_exceeds_api_timeout(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function_id, edges in m.graph.invoked_functions().items():
        api_edges = _api_edges(edges)
        if not api_edges:
            continue
        timeout = t.effective(t.resources[function_id], "Timeout")
        for fn_branch in t.branches(timeout):
            yield from _over_limit(t, rule, function_id, timeout, fn_branch, api_edges)


def _over_limit(t, rule, function_id, timeout, fn_branch: Branch, api_edges) -> Iterator[Hit]:
    fn_timeout = as_number(fn_branch.value)
    if fn_timeout is None:
        return
    offending: list[tuple[Edge, float]] = []
    conditions = dict(fn_branch.conditions)
    for edge in api_edges:
        for limit_branch in _integration_timeouts(t, rule, edge):
            limit, when = limit_branch.value, limit_branch.conditions
            if limit is None or fn_timeout <= limit:
                continue
            if all(conditions.get(name, truth) == truth for name, truth in when):
                conditions.update(when)
                offending.append((edge, limit))
                break
    if not offending:
        return
    limit = min(limit for _, limit in offending)
    kinds = " and ".join(sorted({API_NAMES[e.origin or ""] for e, _ in offending}))
    inherited = " (from Globals)" if timeout.path[:1] == ("Globals",) else ""
    written = seconds(fn_timeout, timeout.default)
    yield rule.hit(
        f"Function '{function_id}' Timeout {written}{inherited} is longer "
        f"than the {limit:g} s integration timeout of the {kinds} in front of it: clients get "
        "a 504 while the function keeps running (and billing)",
        at_value(timeout),
        function_id,
        [at_edge(e, f"{API_NAMES[e.origin or '']} integration ({lim:g} s)")
         for e, lim in offending],
        tuple(sorted(conditions.items())),
    )


# --- IA2005 api-cache-fixed-cost, EA2004 private-api-without-policy -------------------------

REST_STAGE = "AWS::ApiGateway::Stage"
REST_DEPLOYMENT = "AWS::ApiGateway::Deployment"
REST_API = "AWS::ApiGateway::RestApi"
SAM_API = "AWS::Serverless::Api"
POLICY_EXTENSION = "x-amazon-apigateway-policy"


def _written(t: Template, value: Value | None) -> Iterator[Located]:
    """Each side of the `Fn::If`s at `value`, located where it is written."""
    if value is None:
        return iter(())
    return iter(alternatives(value.raw, value.path, (), t.known_conditions))


def _resolved(t: Template, located: Located) -> Iterator[tuple[Any, Conditions]]:
    """The values one written side takes (parameters, mappings...), with all their conditions."""
    for branch in t.branches(located.value):
        merged = merge_conditions(located.conditions, branch.conditions)
        if merged is not None:
            yield branch.value, merged


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _cache_settings(t: Template, resource: Resource) -> Iterator[Located]:
    """Where `CacheClusterEnabled` is written for this stage, deployment or SAM API."""
    if resource.type == REST_DEPLOYMENT:
        for description in _written(t, t.prop(resource, "StageDescription")):
            if isinstance(description.value, dict) and "CacheClusterEnabled" in description.value:
                path = (*description.path, "CacheClusterEnabled")
                yield from alternatives(description.value["CacheClusterEnabled"], path,
                                        description.conditions, t.known_conditions)
    else:
        yield from _written(t, t.prop(resource, "CacheClusterEnabled"))


def api_cache_fixed_cost(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource in _rest_apis(t, REST_STAGE, REST_DEPLOYMENT, SAM_API):
        for located in _cache_settings(t, resource):
            for value, when in _resolved(t, located):
                if not _is_true(value):
                    continue  # false, AWS::NoValue or unknown: no cache is certain
                inherited = " (from Globals)" if located.path[:1] == ("Globals",) else ""
                yield rule.hit(
                    f"{_kind(resource)} '{resource.logical_id}' enables the API cache "
                    f"(CacheClusterEnabled: true){inherited}: the cache cluster is billed by "
                    "the hour for its size whatever the traffic, even when no request is made",
                    Place(located.path),
                    resource.logical_id,
                    when=when,
                )


def _implicit_sam_rest_api(t: Template) -> Resource | None:
    """SAM's implicit ServerlessRestApi, settings from `Globals.Api`, when `Api` events create
    it; located at the first such event."""
    if IMPLICIT_REST_API in t.resources:
        return None
    events = _implicit_api_events(t, "Api", "RestApiId")
    if not events:
        return None
    owners = {t.resources[path[1]].condition for path in events}
    condition = owners.pop() if len(owners) == 1 else None
    return Resource(IMPLICIT_REST_API, SAM_API, {}, condition, declared_at=events[0])


def _rest_apis(t: Template, *types: str) -> list[Resource]:
    implicit = _implicit_sam_rest_api(t) if SAM_API in types else None
    return [*t.of_type(*types), *([implicit] if implicit else [])]


def _kind(resource: Resource) -> str:
    return {REST_STAGE: "Stage", REST_DEPLOYMENT: "Deployment (StageDescription)",
            SAM_API: "API"}.get(resource.type, "Resource")


def _private_types(t: Template, resource: Resource) -> Iterator[Located]:
    """Where PRIVATE is written as this REST API's endpoint type (each `Fn::If` side)."""
    for config in _written(t, t.prop(resource, "EndpointConfiguration")):
        if resource.type == SAM_API:
            if isinstance(config.value, dict):
                if "Type" in config.value:
                    yield from alternatives(config.value["Type"], (*config.path, "Type"),
                                            config.conditions, t.known_conditions)
            else:
                yield config  # SAM's short form, `EndpointConfiguration: PRIVATE`
        elif isinstance(config.value, dict) and "Types" in config.value:
            yield from items(config.value["Types"], (*config.path, "Types"),
                             config.conditions, t.known_conditions)


def _is_private(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() == "PRIVATE"


def _policy_absent(t: Template, resource: Resource) -> list[Branch]:
    """The branches on which the API certainly has no resource policy: none in the template
    property (`Policy`, SAM `Auth.ResourcePolicy`, own or Globals) nor in its inline OpenAPI
    body; a body AWS reads from elsewhere (S3, `AWS::Include`) may hold one: no branch."""
    props = (t.merged_properties(resource) if resource.logical_id in t.resources
             else sam.merge(sam.globals_section(t.globals, SAM_API) or {}, resource.properties))
    if resource.type == SAM_API:
        body_key, uri_key = "DefinitionBody", "DefinitionUri"
        absent = [  # SAM also passes a `Policy` of its own through to the REST API
            Branch(None, when) for _, when in combine(
                t.absent_when(Value(props.get("Auth"), resource.properties_path),
                              ("ResourcePolicy",)),
                t.absent_when(Value(props.get("Policy"), resource.properties_path)))
        ]
    else:
        body_key, uri_key = "Body", "BodyS3Location"
        absent = t.absent_when(Value(props.get("Policy"), resource.properties_path))
    if props.get(uri_key) is not None and props.get(body_key) is None:
        return []
    if props.get(body_key) is None:
        return absent
    found = []
    for body in t.values_along(Value(props[body_key], resource.properties_path)):
        if not isinstance(body.value, dict):
            continue  # unknown (an intrinsic such as AWS::Include): it may hold a policy
        if body.value.get(POLICY_EXTENSION) is not None:
            continue
        found += within(absent, body.conditions)
    return found


def private_api_without_policy(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource in _rest_apis(t, REST_API, SAM_API):
        absent = _policy_absent(t, resource)
        if not absent:
            continue
        for located in _private_types(t, resource):
            for value, when in _resolved(t, located):
                if not _is_private(value):
                    continue
                for conditions in dict.fromkeys(b.conditions for b in within(absent, when)):
                    yield rule.hit(
                        f"REST API '{resource.logical_id}' is PRIVATE but has no resource "
                        f"policy ({_policy_names(resource)}): API Gateway refuses to deploy a "
                        "private API without one, so the stack fails on its deployment",
                        Place(located.path),
                        resource.logical_id,
                        when=conditions,
                    )


def _policy_names(resource: Resource) -> str:
    if resource.type == SAM_API:
        return f"Auth.ResourcePolicy, Policy or {POLICY_EXTENSION} in DefinitionBody"
    return f"Policy or {POLICY_EXTENSION} in Body"


# --- EA2002 integration-timeout-over-limit, IA2013 integration-timeout-needs-quota ----------

REST_METHOD = "AWS::ApiGateway::Method"
V2_API = "AWS::ApiGatewayV2::Api"
V2_INTEGRATION = "AWS::ApiGatewayV2::Integration"
SAM_HTTP_API = "AWS::Serverless::HttpApi"
INTEGRATION_EXTENSION = "x-amazon-apigateway-integration"
DEFAULT_LIMIT_MS = 29000
HTTP_LIMIT_MS = 30000
STREAM_LIMIT_MS = 900000
STREAM_URI = "/response-streaming-invocations"
OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace",
                   "x-amazon-apigateway-any-method")
ENDPOINT_NAMES = {"EDGE": "edge-optimized REST API", "REGIONAL": "Regional REST API",
                  "PRIVATE": "private REST API", "HTTP": "HTTP API",
                  "WEBSOCKET": "WebSocket API"}
# The integration's own keys: CloudFormation resources and SAM events, OpenAPI extensions.
CFN_KEYS = ("TimeoutInMillis", "ResponseTransferMode", "Uri")
OPENAPI_KEYS = ("timeoutInMillis", "responseTransferMode", "uri")

# (endpoint kind or None when unknown, where it is decided, its conditions)
Endpoint = tuple[str | None, Place, Conditions]


def _rest_endpoints(t: Template, config: Value | None, anchor: Place, sam_style: bool
                    ) -> list[Endpoint]:
    """The endpoint type(s) of a REST API on each branch; EDGE (AWS's default) when none is
    given. `config` is EndpointConfiguration (SAM: a string or `{Type}`; CFN: `{Types: [..]}`)."""
    if config is None or config.raw is None:
        return [("EDGE", anchor, ())]
    found: list[Endpoint] = []
    for side in _written(t, config):
        if side.value == {"Ref": "AWS::NoValue"}:
            found.append(("EDGE", anchor, side.conditions))
            continue
        key = "Type" if sam_style else "Types"
        if isinstance(side.value, dict):
            if key not in side.value:
                found.append(("EDGE", Place(side.path, key=True), side.conditions))
                continue
            path = (*side.path, key)
            written = (alternatives(side.value[key], path, side.conditions, t.known_conditions)
                       if sam_style else
                       items(side.value[key], path, side.conditions, t.known_conditions))
        elif sam_style:
            written = [side]
        else:
            written = []
            found.append((None, anchor, side.conditions))
        for located in written:
            for value, when in _resolved(t, located):
                found.append((_endpoint_kind(value), Place(located.path), when))
    return found


def _api_endpoints(t: Template, api: Resource | None) -> list[Endpoint]:
    """The endpoint kind of the API an integration belongs to; None for the implicit SAM API."""
    if api is None:
        return []
    anchor = Place(api.path, key=True)
    if api.type == REST_API:
        config = t.prop(api, "EndpointConfiguration")
        if config is None:
            imported = t.prop(api, "Parameters", "endpointConfigurationTypes")
            if imported is not None:  # an imported body's endpoint type
                return [(_endpoint_kind(v), Place(imported.path), when)
                        for v, when in _resolved(t, Located(imported.raw, imported.path))]
        return _rest_endpoints(t, config, anchor, sam_style=False)
    if api.type == SAM_API:
        return _rest_endpoints(t, t.prop(api, "EndpointConfiguration"), anchor, sam_style=True)
    if api.type == SAM_HTTP_API:
        return [("HTTP", anchor, ())]
    if api.type == V2_API:
        protocol = t.prop(api, "ProtocolType")
        if protocol is None:  # an imported OpenAPI body is "Supported only for HTTP APIs"
            imported = any(key in api.properties for key in ("Body", "BodyS3Location"))
            return [("HTTP" if imported else None, anchor, ())]
        return [(_endpoint_kind(v), Place(protocol.path), when)
                for v, when in _resolved(t, Located(protocol.raw, protocol.path))]
    return []


def _endpoint_kind(value: Any) -> str | None:
    """A known endpoint type or protocol (`regional`, `HTTP`...); None for anything else."""
    kind = value.strip().upper() if isinstance(value, str) else None
    return kind if kind in ENDPOINT_NAMES else None


# (the resource that holds it, the integration mapping as written, its keys, the API's endpoints)
Integration = tuple[str, Located, tuple[str, str, str], list[Endpoint]]


def _integrations(t: Template) -> Iterator[Integration]:
    """Every integration mapping the template declares, of any integration type."""
    for method in t.of_type(REST_METHOD):
        api = t.resource_at(method.properties.get("RestApiId"))
        endpoints = _api_endpoints(t, api)
        for side in _written(t, t.prop(method, "Integration")):
            if isinstance(side.value, dict):
                yield method.logical_id, side, CFN_KEYS, endpoints
    for integration in t.of_type(V2_INTEGRATION):
        api = t.resource_at(integration.properties.get("ApiId"))
        yield (integration.logical_id,
               Located(integration.properties, integration.properties_path),
               CFN_KEYS, _api_endpoints(t, api))
    for api, key in ((a, "Body") for a in t.of_type(REST_API, V2_API)):
        yield from _openapi_integrations(t, api, key)
    for api in t.of_type(SAM_API, SAM_HTTP_API):
        yield from _openapi_integrations(t, api, "DefinitionBody")
    yield from _sam_event_integrations(t)


def _openapi_integrations(t: Template, api: Resource, key: str) -> Iterator[Integration]:
    endpoints = _api_endpoints(t, api)
    for body in _written(t, t.prop(api, key)):
        paths = body.value.get("paths") if isinstance(body.value, dict) else None
        if not isinstance(paths, dict):
            continue
        for route, operations in paths.items():
            if not isinstance(operations, dict):
                continue
            for verb, operation in operations.items():
                if str(verb).lower() not in OPENAPI_METHODS or not isinstance(operation, dict):
                    continue
                raw = operation.get(INTEGRATION_EXTENSION)
                path = (*body.path, "paths", route, verb, INTEGRATION_EXTENSION)
                for side in alternatives(raw, path, body.conditions, t.known_conditions):
                    if isinstance(side.value, dict):
                        yield api.logical_id, side, OPENAPI_KEYS, endpoints


def _sam_event_integrations(t: Template) -> Iterator[Integration]:
    """SAM `Api` and `HttpApi` events: their own TimeoutInMillis (a Lambda proxy integration)."""
    for function in t.of_type(SAM_FUNCTION):
        events = function.properties.get("Events")
        if not isinstance(events, dict):
            continue
        for name, event in events.items():
            if not isinstance(event, dict) or event.get("Type") not in ("Api", "HttpApi"):
                continue
            props = event.get("Properties")
            if not isinstance(props, dict):
                continue
            path = (*function.properties_path, "Events", name, "Properties")
            if event["Type"] == "Api":
                api_key, implicit = "RestApiId", _implicit_rest_api(t, path)
            else:
                api_key, implicit = "ApiId", [("HTTP", Place(path[:-1], key=True), ())]
            if props.get(api_key) is not None:
                endpoints = _api_endpoints(t, t.resource_at(props[api_key]))
            else:
                endpoints = implicit
            yield function.logical_id, Located(props, path), CFN_KEYS, endpoints


def _implicit_rest_api(t: Template, event_path: Path) -> list[Endpoint]:
    """SAM's implicit REST API takes its settings from `Globals.Api`."""
    section = t.globals.get("Api")
    config = section.get("EndpointConfiguration") if isinstance(section, dict) else None
    value = Value(config, ("Globals", "Api", "EndpointConfiguration")) if config else None
    return _rest_endpoints(t, value, Place(event_path[:-1], key=True), sam_style=True)


def _streaming(t: Template, mapping: Located, keys: tuple[str, str, str]) -> list[Branch]:
    """True/False per branch: ResponseTransferMode STREAM or a response-streaming Lambda URI;
    None when the transfer mode cannot be resolved."""
    _, mode_key, uri_key = keys
    modes = [Branch(False)]
    if mapping.value.get(mode_key) is not None:
        modes = [Branch(None if b.value is UNKNOWN else
                        isinstance(b.value, str) and b.value.strip().upper() == "STREAM",
                        b.conditions)
                 for b in t.branches(mapping.value[mode_key])]
    uris = [Branch(STREAM_URI in json.dumps(side.value, default=str), side.conditions)
            for side in alternatives(mapping.value.get(uri_key), (), (), t.known_conditions)]
    return [Branch(True if True in values else (None if None in values else False), when)
            for values, when in combine(modes, uris)]


def _timeout_verdicts(t: Template) -> Iterator[tuple[str, Hit]]:
    """('error' | 'info', hit) for each integration timeout the API cannot (or may not) take."""
    for owner, mapping, keys, endpoints in _integrations(t):
        raw = mapping.value.get(keys[0])
        if raw is None:
            continue  # the default: 29 s on REST and WebSocket APIs, 30 s on HTTP APIs
        stream = _streaming(t, mapping, keys)
        path = (*mapping.path, keys[0])
        for side in alternatives(raw, path, mapping.conditions, t.known_conditions):
            for value, when in _resolved(t, side):
                millis = as_number(value)
                if millis is None:
                    continue
                for (kind, place, api_when), (streams, s_when) in itertools.product(
                        endpoints, [(b.value, b.conditions) for b in stream]):
                    conditions = merge_conditions(when, api_when, s_when)
                    if conditions is None or kind is None:
                        continue
                    verdict = _timeout_verdict(kind, millis, streams)
                    if verdict is None:
                        continue
                    level, limit, text = verdict
                    yield level, Hit(
                        f"Integration TimeoutInMillis {millis:g} of {_article(kind)} "
                        f"{ENDPOINT_NAMES[kind]}"
                        f"{' (the default endpoint type)' if place.key and kind == 'EDGE' else ''}"
                        f" is {text}",
                        Place(side.path), owner,
                        (Place(place.path, place.key,
                               f"{ENDPOINT_NAMES[kind]}, integration limit {limit:g} ms"),),
                        conditions)


def _timeout_verdict(kind: str, millis: float, streams: bool | None
                     ) -> tuple[str, float, str] | None:
    over = "above the {:g} ms maximum{}: API Gateway rejects the integration and the stack fails"
    if kind in ("HTTP", "WEBSOCKET"):
        limit = HTTP_LIMIT_MS if kind == "HTTP" else DEFAULT_LIMIT_MS
        return ("error", limit, over.format(limit, "")) if millis > limit else None
    if millis > STREAM_LIMIT_MS:
        return "error", STREAM_LIMIT_MS, over.format(STREAM_LIMIT_MS, " (15 minutes, even for "
                                                                       "response streaming)")
    if streams is not False or millis <= DEFAULT_LIMIT_MS:
        return None  # streaming (or maybe streaming) integrations may take up to 15 minutes
    if kind == "EDGE":
        return "error", DEFAULT_LIMIT_MS, over.format(
            DEFAULT_LIMIT_MS, " (edge-optimized APIs cannot raise it; only response streaming "
            "may go up to 15 minutes)")
    return "info", DEFAULT_LIMIT_MS, (
        f"above the default {DEFAULT_LIMIT_MS} ms: it deploys only in an account whose "
        "'Maximum integration timeout' quota has been raised (which may lower the account's "
        "throttle quota); elsewhere the stack fails")


def integration_timeout_over_limit(m: Model, rule: Rule) -> Iterator[Hit]:
    for level, hit in _timeout_verdicts(m.template):
        if level == "error":
            yield rule.hit(hit.message, hit.at, hit.resource, hit.related, hit.when)


def integration_timeout_needs_quota(m: Model, rule: Rule) -> Iterator[Hit]:
    for level, hit in _timeout_verdicts(m.template):
        if level == "info":
            yield rule.hit(hit.message, hit.at, hit.resource, hit.related, hit.when)


def _article(kind: str) -> str:
    return "an" if kind in ("EDGE", "HTTP") else "a"


# --- WA2003 api-key-without-usage-plan --------------------------------------------------------

USAGE_PLAN = "AWS::ApiGateway::UsagePlan"
API_KEY = "AWS::ApiGateway::ApiKey"
IMPLICIT_REST_API = "ServerlessRestApi"  # the REST API SAM creates for `Api` events
SAM_PLANS = ("PER_API", "SHARED", "SINGLE")  # Auth.UsagePlan.CreateUsagePlan values
UNKNOWN_API = "?"

# (where an API key is required, under which conditions)
Requirement = tuple[Place, Conditions]


def _rest_api_id(t: Template, raw: Any) -> str:
    """The REST API of this template `raw` names (SAM's implicit one too), else UNKNOWN_API."""
    if raw == {"Ref": IMPLICIT_REST_API} and IMPLICIT_REST_API not in t.resources:
        return IMPLICIT_REST_API
    api = t.resource_at(raw)
    return api.logical_id if api is not None else UNKNOWN_API


def _true_at(t: Template, value: Value | None, conditions: Conditions) -> list[Requirement]:
    """Each place where `value` is true, with its conditions."""
    found = []
    for located in _written(t, value):
        for resolved, when in _resolved(t, located):
            merged = merge_conditions(when, conditions)
            if _is_true(resolved) and merged is not None:
                found.append((Place(located.path), merged))
    return found


def _key_requirements(t: Template) -> dict[str, list[Requirement]]:
    """REST API logical id -> where its methods require an API key."""
    found: dict[str, list[Requirement]] = {}
    for method in t.of_type(REST_METHOD):
        api_id = _rest_api_id(t, method.properties.get("RestApiId"))
        found.setdefault(api_id, []).extend(
            _true_at(t, t.prop(method, "ApiKeyRequired"), method.conditions))
    for api in t.of_type(SAM_API):
        if t.prop(api, "DefinitionUri") is not None and t.prop(api, "DefinitionBody") is None:
            continue  # SAM does not edit a definition it reads from S3
        found.setdefault(api.logical_id, []).extend(
            _true_at(t, t.prop(api, "Auth", "ApiKeyRequired"), api.conditions))
    for function in t.of_type(SAM_FUNCTION):
        events = function.properties.get("Events")
        for name, event in (events.items() if isinstance(events, dict) else ()):
            props = event.get("Properties") if isinstance(event, dict) else None
            if not isinstance(props, dict) or event.get("Type") != "Api":
                continue
            api_id = (_rest_api_id(t, props["RestApiId"]) if "RestApiId" in props
                      else IMPLICIT_REST_API)
            path = (*function.properties_path, "Events", name, "Properties", "Auth",
                    "ApiKeyRequired")
            found.setdefault(api_id, []).extend(
                _true_at(t, t.prop_at(path), function.conditions))
            if api_id == IMPLICIT_REST_API:
                implicit = t.globals.get("Api") if isinstance(t.globals.get("Api"), dict) else {}
                auth = implicit.get("Auth") if isinstance(implicit.get("Auth"), dict) else {}
                if "ApiKeyRequired" in auth:
                    value = Value(auth["ApiKeyRequired"], ("Globals", "Api", "Auth",
                                                           "ApiKeyRequired"))
                    found[api_id].extend(_true_at(t, value, function.conditions))
    found.pop(UNKNOWN_API, None)  # an API outside the template: its plans may be too
    return {api_id: list(dict.fromkeys(places)) for api_id, places in found.items() if places}


def _plan_coverage(t: Template) -> dict[str, list[Conditions]]:
    """REST API logical id (UNKNOWN_API: any) -> the condition sets under which a usage plan
    of the template (or a legacy API key stage key) covers one of its stages."""
    covered: dict[str, list[Conditions]] = {}
    for plan in t.of_type(USAGE_PLAN):
        stages = t.prop(plan, "ApiStages")
        for item in items(stages.raw, stages.path, plan.conditions, t.known_conditions) \
                if stages is not None else ():
            api = item.value.get("ApiId") if isinstance(item.value, dict) else None
            covered.setdefault(_rest_api_id(t, api), []).append(item.conditions)
    for key in t.of_type(API_KEY):
        stage_keys = t.prop(key, "StageKeys")
        for item in items(stage_keys.raw, stage_keys.path, key.conditions, t.known_conditions) \
                if stage_keys is not None else ():
            api = item.value.get("RestApiId") if isinstance(item.value, dict) else None
            covered.setdefault(_rest_api_id(t, api), []).append(item.conditions)
    for api in t.of_type(SAM_API):
        plan = t.prop(api, "Auth", "UsagePlan", "CreateUsagePlan")
        for value, when in _resolved(t, Located(plan.raw, plan.path)) if plan else ():
            if not isinstance(value, str) or value.upper() in SAM_PLANS:
                covered.setdefault(api.logical_id, []).append(
                    merge_conditions(when, api.conditions) or ())
    implicit = t.globals.get("Api")
    plan = _dig_mapping(implicit, "Auth", "UsagePlan", "CreateUsagePlan")
    if plan is not None:
        for branch in t.branches(plan):
            if not isinstance(branch.value, str) or branch.value.upper() in SAM_PLANS:
                covered.setdefault(IMPLICIT_REST_API, []).append(branch.conditions)
    return covered


def _dig_mapping(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _uncovered(coverage: list[Conditions]) -> list[Conditions]:
    """The condition sets under which none of the covering sets holds."""
    negations = [[Branch(None, (*c[:i], (name, not truth))) for i, (name, truth) in enumerate(c)]
                 for c in coverage]
    return [when for _, when in combine(*negations)]


def _stage_names(t: Template, api_id: str) -> str:
    if api_id == IMPLICIT_REST_API:
        return "Prod"
    names = []
    for resource in t.of_type(REST_STAGE, REST_DEPLOYMENT, SAM_API):
        if resource.type == SAM_API and resource.logical_id != api_id:
            continue
        if resource.type != SAM_API and \
                _rest_api_id(t, resource.properties.get("RestApiId")) != api_id:
            continue
        name = t.resolver.one(resource.properties.get("StageName"))
        if isinstance(name, str):
            names.append(name)
    return " or ".join(dict.fromkeys(names)) or "<stage>"


def api_key_without_usage_plan(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    coverage = _plan_coverage(t)
    if () in coverage.get(UNKNOWN_API, []):
        return  # a usage plan for an API we cannot tell: it may be this one
    for api_id, requirements in _key_requirements(t).items():
        plans = [*coverage.get(api_id, []), *coverage.get(UNKNOWN_API, [])]
        for missing in _uncovered(plans):
            cases = [(place, merged) for place, when in requirements
                     if (merged := merge_conditions(missing, when)) is not None]
            if not cases:
                continue
            place, when = cases[0]
            yield rule.hit(
                f"Methods of REST API '{api_id}' require an API key (ApiKeyRequired: true) but "
                "no usage plan in the template covers a stage of that API: API Gateway accepts "
                "only keys of a usage plan that includes the stage, so every call answers 403 "
                f"Forbidden; {_plan_to_add(t, api_id)}",
                place,
                api_id,
                [Place(p.path, message="API key also required here") for p, _ in cases[1:]],
                when,
            )
            break


def _plan_to_add(t: Template, api_id: str) -> str:
    stage = _stage_names(t, api_id)
    cfn = (f"add an AWS::ApiGateway::UsagePlan with ApiStages [{{ApiId: !Ref {api_id}, "
           f"Stage: {stage}}}] and an AWS::ApiGateway::UsagePlanKey for the clients' "
           "AWS::ApiGateway::ApiKey")
    if api_id == IMPLICIT_REST_API:
        return "set Globals.Api.Auth.UsagePlan.CreateUsagePlan to PER_API or SHARED, or " + cfn
    resource = t.resources.get(api_id)
    if resource is not None and resource.type == SAM_API:
        return "set Auth.UsagePlan.CreateUsagePlan to PER_API or SHARED, or " + cfn
    return cfn


# --- IA2006 api-without-throttling ------------------------------------------------------------

V2_STAGE = "AWS::ApiGatewayV2::Stage"
IMPLICIT_HTTP_API = "ServerlessHttpApi"  # the HTTP API SAM creates for `HttpApi` events
THROTTLE_KEYS = ("ThrottlingBurstLimit", "ThrottlingRateLimit")


def _implicit_api_events(t: Template, event_type: str, api_key: str) -> list[Path]:
    """The `Api`/`HttpApi` events (their paths) that SAM wires to its implicit API."""
    found = []
    for function in t.of_type(SAM_FUNCTION):
        events = function.properties.get("Events")
        for name, event in (events.items() if isinstance(events, dict) else ()):
            props = event.get("Properties") if isinstance(event, dict) else None
            if isinstance(event, dict) and event.get("Type") == event_type and \
                    api_key not in (props if isinstance(props, dict) else {}):
                found.append((*function.properties_path, "Events", name))
    return found


def _set(t: Template, mapping: dict[str, Any], key: str) -> bool:
    """Whether `key` is given a value (an unresolvable one counts)."""
    return key in mapping and t.resolver.one(mapping[key]) is not NO_VALUE


def _matches_all(t: Template, raw: Any, wildcard: str) -> bool:
    value = t.resolver.one(raw)
    return not isinstance(value, str) or value.strip() == wildcard


def _throttled_keys(t: Template, settings: list[Any]) -> set[str]:
    """The throttle keys some `*/*` entry of a MethodSettings list sets."""
    found: set[str] = set()
    for entry in settings:
        if not isinstance(entry, dict):
            continue
        if _matches_all(t, entry.get("ResourcePath", "/*"), "/*") and \
                _matches_all(t, entry.get("HttpMethod", "*"), "*"):
            found |= {key for key in THROTTLE_KEYS if _set(t, entry, key)}
    return found


# (where to point, the throttle keys set, conditions) for each branch of one stage's settings
Throttling = tuple[Place, set[str], Conditions]


def _method_settings(t: Template, value: Value | None, anchor: Place,
                     top_level: dict[str, Any] | None = None) -> list[Throttling]:
    """The */* throttle keys of a REST stage on each branch of its MethodSettings; `top_level`
    is a StageDescription, whose own Throttling* keys apply to every method."""
    extra = {k for k in THROTTLE_KEYS if top_level is not None and _set(t, top_level, k)}
    if value is None:
        return [(anchor, extra, ())]
    found = []
    for side in _written(t, value):
        listing = side.value if isinstance(side.value, list) else []
        found.append((Place(side.path, key=True) if side.path[-1] == "MethodSettings"
                      else Place(side.path), _throttled_keys(t, listing) | extra,
                      side.conditions))
    return found


def _route_settings(t: Template, value: Value | None, anchor: Place) -> list[Throttling]:
    if value is None:
        return [(anchor, set(), ())]
    return [(Place(side.path, key=True) if side.path[-1] == "DefaultRouteSettings"
             else Place(side.path),
             {k for k in THROTTLE_KEYS if isinstance(side.value, dict) and _set(t, side.value, k)}
             if side.value is not NO_VALUE else set(), side.conditions)
            for side in _written(t, value)]


QUICK_CREATE_STAGE = "HTTP API $default stage (quick create)"
MANAGED_OVERRIDES = "AWS::ApiGatewayV2::ApiGatewayManagedOverrides"


def managed_overrides(t: Template, api: Resource) -> Resource | None:
    """The ApiGatewayManagedOverrides that configures a quick-create API's stage, if any."""
    return next((r for r in t.of_type(MANAGED_OVERRIDES)
                 if t.resource_at(r.properties.get("ApiId")) is api), None)


def http_protocol(t: Template, api: Resource) -> bool:
    """An HTTP API: ProtocolType HTTP, or none with an imported OpenAPI body (HTTP only)."""
    protocol = t.resolver.one(api.properties.get("ProtocolType"))
    if "ProtocolType" not in api.properties:
        return any(key in api.properties for key in ("Body", "BodyS3Location"))
    return protocol == "HTTP"


def _stages(t: Template, implicit: bool) -> Iterator[tuple[str, str, list[Throttling]]]:
    """(logical id, what it is, its throttling branches) for each stage the template creates."""
    for stage in t.of_type(REST_STAGE):
        yield stage.logical_id, "REST API stage", _method_settings(
            t, t.prop(stage, "MethodSettings"), Place(stage.path, key=True))
    for deployment in t.of_type(REST_DEPLOYMENT):
        if deployment.properties.get("StageName") is None:
            continue  # creates no stage
        description = t.prop(deployment, "StageDescription")
        raw = description.raw if description is not None else None
        settings = t.prop(deployment, "StageDescription", "MethodSettings")
        anchor = (Place(description.path, key=True) if description is not None
                  else Place((*deployment.properties_path, "StageName")))
        yield deployment.logical_id, "REST API stage (Deployment StageName)", _method_settings(
            t, settings, anchor, raw if isinstance(raw, dict) else {})
    for api in t.of_type(SAM_API):
        yield api.logical_id, "REST API", _method_settings(
            t, t.prop(api, "MethodSettings"), Place(api.path, key=True))
    for stage in t.of_type(V2_STAGE):
        api = t.resource_at(stage.properties.get("ApiId"))
        if api is not None and http_protocol(t, api):
            yield stage.logical_id, "HTTP API stage", _route_settings(
                t, t.prop(stage, "DefaultRouteSettings"), Place(stage.path, key=True))
    for api in t.of_type(V2_API):
        if "Target" in api.properties and http_protocol(t, api):
            overrides = managed_overrides(t, api)
            value = t.prop(overrides, "Stage", "DefaultRouteSettings") if overrides else None
            yield api.logical_id, QUICK_CREATE_STAGE, _route_settings(
                t, value, Place((*api.properties_path, "Target")))
    for api in t.of_type(SAM_HTTP_API):
        value = t.prop(api, "DefaultRouteSettings")
        if value is not None:  # SAM merges the Globals' keys into the API's own
            value = Value(t.merged_properties(api).get("DefaultRouteSettings"), value.path)
        yield api.logical_id, "HTTP API", _route_settings(t, value, Place(api.path, key=True))
    if implicit:
        yield from _implicit_stages(t)


def _implicit_stages(t: Template) -> Iterator[tuple[str, str, list[Throttling]]]:
    for kind, key, api_id, section, name, reader in (
            ("Api", "RestApiId", IMPLICIT_REST_API, "Api", "MethodSettings", _method_settings),
            ("HttpApi", "ApiId", IMPLICIT_HTTP_API, "HttpApi", "DefaultRouteSettings",
             _route_settings)):
        events = _implicit_api_events(t, kind, key)
        if not events:
            continue
        globals_ = t.globals.get(section) if isinstance(t.globals.get(section), dict) else {}
        value = (Value(globals_[name], ("Globals", section, name)) if name in globals_
                 else None)
        yield api_id, f"implicit {'REST' if kind == 'Api' else 'HTTP'} API", reader(
            t, value, Place(events[0], key=True))


def api_without_throttling(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for logical_id, kind, branches in _stages(t, rule.option("include_implicit_apis")):
        for place, keys, when in branches:
            missing = [k for k in THROTTLE_KEYS if k not in keys]
            if not missing:
                continue
            what = ("no default throttling" if len(missing) == 2 else
                    f"no default {missing[0]}")
            where = ("DefaultRouteSettings" if "HTTP" in kind else
                     "MethodSettings (ResourcePath /*, HttpMethod *)")
            if kind == QUICK_CREATE_STAGE:
                where = f"Stage.DefaultRouteSettings of an {MANAGED_OVERRIDES} for the API"
            yield rule.hit(
                f"{kind[0].upper()}{kind[1:]} '{logical_id}' has {what}: every client shares the "
                "account's Regional throttle quota, so one caller can exhaust it for all APIs "
                f"of the account and Region; set {' and '.join(missing)} in {where}",
                place,
                t.declared_id(logical_id) if logical_id in t.resources else logical_id,
                when=when,
            )
