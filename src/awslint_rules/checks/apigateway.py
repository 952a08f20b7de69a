"""API Gateway in front of Lambda: the integration timeout against the function timeout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import SYNC, Edge
from ..intrinsics import (
    NO_VALUE,
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
from ..model import Model
from ..template import Resource, Template, Value
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
    for resource in t.of_type(REST_STAGE, REST_DEPLOYMENT, SAM_API):
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
    props = t.merged_properties(resource)
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
    for resource in t.of_type(REST_API, SAM_API):
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
