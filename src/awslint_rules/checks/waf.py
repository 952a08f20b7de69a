"""AWS WAF web ACLs and the resources they are associated with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import Conditions, alternatives, merge_conditions
from ..load import Path
from ..model import Model
from ..template import Resource, Template

ASSOCIATIONS = ("AWS::WAFv2::WebACLAssociation", "AWS::WAFRegional::WebACLAssociation")
DISTRIBUTION = "AWS::CloudFront::Distribution"
WEB_ACL = "AWS::WAFv2::WebACL"
REGIONAL_WEB_ACL = "AWS::WAFRegional::WebACL"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
CLOUDFRONT_DISTRIBUTION = "a CloudFront distribution"
HTTP_API_TYPES = ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::Serverless::HttpApi")


def _unsupported_resource(t: Template, raw: Any) -> str | None:
    """What the associated resource is when AWS WAF cannot protect it by association: an
    HTTP or WebSocket API, a CloudFront distribution, a Network or Gateway Load Balancer."""
    resource = t.resource_at(raw)
    if resource is not None:
        return _unsupported_type(t, resource)
    shape = _arn_shape(raw)
    if ":apigateway:" in shape and "/apis/" in shape:
        return "an HTTP or WebSocket API (ApiGatewayV2) stage"
    if ":cloudfront:" in shape and ":distribution/" in shape:
        return CLOUDFRONT_DISTRIBUTION
    if ":elasticloadbalancing:" in shape and ("loadbalancer/net/" in shape or
                                              "loadbalancer/gwy/" in shape):
        return "a Network or Gateway Load Balancer"
    return None


def _unsupported_type(t: Template, resource: Resource) -> str | None:
    if resource.type in HTTP_API_TYPES:
        return f"an HTTP or WebSocket API ({resource.type})"
    if resource.type == DISTRIBUTION:
        return CLOUDFRONT_DISTRIBUTION
    if resource.type == LOAD_BALANCER:
        kind = t.resolver.one(resource.properties.get("Type", "application"))
        if isinstance(kind, str) and kind.lower() in ("network", "gateway"):
            return f"a {kind.lower().capitalize()} Load Balancer"
    return None


def _arn_shape(raw: Any) -> str:
    """The literal text of an ARN written as a string, `Fn::Sub` or `Fn::Join` (references left
    as placeholders): enough to tell which service and resource type it names."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        (name, argument), = raw.items()
        if name == "Fn::Sub":
            text = argument[0] if isinstance(argument, list) and argument else argument
            return text if isinstance(text, str) else ""
        if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            parts = argument[1] if isinstance(argument[1], list) else []
            return str(argument[0]).join(_arn_shape(p) or "${}" for p in parts)
    return ""


def _scopes(t: Template, raw: Any) -> list[tuple[str, Resource, Path, Conditions]]:
    """(CLOUDFRONT | REGIONAL, the web ACL, where its scope is written, conditions) for the web
    ACL of this template that `raw` names."""
    acl = t.resource_at(raw)
    if acl is None:
        return []
    if acl.type == REGIONAL_WEB_ACL:
        return [("REGIONAL", acl, acl.path, ())]
    scope = t.prop(acl, "Scope")
    if acl.type != WEB_ACL or scope is None:
        return []
    found = []
    for branch in t.branches(scope):
        if isinstance(branch.value, str) and branch.value.upper() in ("CLOUDFRONT", "REGIONAL"):
            found.append((branch.value.upper(), acl, scope.path, branch.conditions))
    return found


def waf_association_unsupported(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for association in t.of_type(*ASSOCIATIONS):
        yield from _association(t, rule, association)
    for distribution in t.of_type(DISTRIBUTION):
        yield from _distribution(t, rule, distribution)


def _association(t: Template, rule: Rule, association: Resource) -> Iterator[Hit]:
    props = association.properties_path
    distribution = False
    for side in alternatives(association.properties.get("ResourceArn"), (*props, "ResourceArn"),
                             association.conditions, t.known_conditions):
        what = _unsupported_resource(t, side.value)
        distribution = distribution or what == CLOUDFRONT_DISTRIBUTION
        if what is not None:
            yield rule.hit(
                f"WebACLAssociation '{association.logical_id}' associates a web ACL with {what}: "
                "AWS WAF protects API Gateway REST API stages, Application Load Balancers, "
                "AppSync APIs, Cognito user pools, App Runner services and Verified Access "
                "instances by association (a CloudFront distribution through its own "
                "DistributionConfig.WebACLId), so CloudFormation fails to create it",
                Place(side.path), association.logical_id, when=side.conditions)
    acl_key = ("WebACLArn" if association.type == ASSOCIATIONS[0] else "WebACLId")
    for scope, acl, path, when in _scopes(t, association.properties.get(acl_key)):
        if scope == "CLOUDFRONT" and not distribution:  # reported above already
            yield rule.hit(
                f"WebACLAssociation '{association.logical_id}' associates web ACL "
                f"'{acl.logical_id}' of scope CLOUDFRONT with a regional resource: a global web "
                "ACL can only protect CloudFront distributions, through the distribution's "
                "DistributionConfig.WebACLId; use a REGIONAL web ACL in the resource's Region",
                Place((*props, acl_key)), association.logical_id,
                [Place(path, message="scope CLOUDFRONT")],
                merge_conditions(when, association.conditions) or when)


def _distribution(t: Template, rule: Rule, distribution: Resource) -> Iterator[Hit]:
    value = t.prop(distribution, "DistributionConfig", "WebACLId")
    if value is None:
        return
    for side in alternatives(value.raw, value.path, distribution.conditions, t.known_conditions):
        for scope, acl, path, acl_when in _scopes(t, side.value):
            when = merge_conditions(side.conditions, acl_when)
            if scope != "REGIONAL" or when is None:
                continue
            yield rule.hit(
                f"Distribution '{distribution.logical_id}' uses web ACL '{acl.logical_id}', a "
                "regional web ACL: CloudFront accepts only a global web ACL (WAFv2 Scope "
                "CLOUDFRONT, created in us-east-1), so the distribution fails to deploy",
                Place(side.path), distribution.logical_id,
                [Place(path, message=f"{acl.type} ({scope})")],
                when)
