"""VPC endpoints: the endpoint type each service supports, and the route tables a Gateway
endpoint needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import NO_VALUE, Branch, combine, merge_conditions
from ..model import Model
from ..template import Resource, Template
from . import at_value

ENDPOINT = "AWS::EC2::VPCEndpoint"
# The services that offer Gateway endpoints (S3 Express One Zone's directory buckets too).
GATEWAY_SERVICES = ("s3", "dynamodb", "s3express")
FREE_GATEWAY_SERVICES = ("s3", "dynamodb")
# com.amazonaws.<region>.<service>, cn.com.amazonaws..., aws.api.<region>.<service>...
_AWS_SERVICE = re.compile(r"^(?:cn\.)?com\.amazonaws\.(?P<region>[^.]+)\.(?P<service>.+)$")


def _service(t: Template, raw: Any) -> str | None:
    """The AWS service an endpoint's ServiceName names (`s3`, `dynamodb`, `ssm`...); None for
    an endpoint service of an account (`com.amazonaws.vpce.<region>.vpce-svc-...`), another
    form or an unknown value. `${AWS::Region}` may stand for the Region."""
    text = t.resolver.text(raw)
    if text is None:
        return None
    text = text.strip().lower().replace("{aws.region}", "region")
    match = _AWS_SERVICE.match(text)
    if match is None or match["region"] == "vpce":
        return None
    return match["service"]


def _types(t: Template, endpoint: Resource) -> list[tuple[Branch, Any]]:
    """(endpoint type per branch, the value to point at); Gateway when absent."""
    written = t.effective(endpoint, "VpcEndpointType")
    found = []
    for branch in t.branches(written):
        value = branch.value
        if value is NO_VALUE:
            value = t.default(endpoint.type, "VpcEndpointType")
        found.append((Branch(value, branch.conditions), written))
    return found


def _endpoints(t: Template) -> Iterator[tuple[Resource, str, Branch, Any]]:
    """(endpoint, its AWS service, its type on one branch, where the type is written)."""
    for endpoint in t.of_type(ENDPOINT):
        name = t.prop(endpoint, "ServiceName")
        if name is None:
            continue
        for service_branch in t.branches(name):
            # a name built with `${AWS::Region}` is only known as text
            text = service_branch.value if isinstance(service_branch.value, str) else name.raw
            service = _service(t, text)
            if service is None:
                continue
            for kind, written in _types(t, endpoint):
                when = merge_conditions(service_branch.conditions, kind.conditions)
                if when is not None and isinstance(kind.value, str):
                    yield endpoint, service, Branch(kind.value, when), written


# Attributes only an Interface endpoint has: a template that reads them uses the interface as
# such (an ALB targeting its network interfaces, a DNS record for its name).
INTERFACE_ATTRIBUTES = ("NetworkInterfaceIds", "DnsEntries")


def _attributes_read(node: Any, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (logical id, attribute) a `Fn::GetAtt` (or `${X.Attribute}`) in `node` reads."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetAtt":
                parts = value.split(".", 1) if isinstance(value, str) else value
                if isinstance(parts, list) and len(parts) == 2 and all(
                        isinstance(p, str) for p in parts):
                    found.add((parts[0], parts[1]))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) and value else value
                if isinstance(text, str):
                    found.update(tuple(name.split(".", 1)) for name in re.findall(
                        r"\$\{([^}!.]+\.[^}]+)\}", text))
            _attributes_read(value, found)
    elif isinstance(node, list):
        for item in node:
            _attributes_read(item, found)
    return found


def interface_endpoint_for_gateway_service(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    read: set[tuple[str, str]] | None = None
    for endpoint, service, kind, written in _endpoints(t):
        if service in FREE_GATEWAY_SERVICES and kind.value.lower() == "interface":
            if read is None:
                read = _attributes_read(t.document.data.get("Resources"), set())
            if any((endpoint.logical_id, a) in read for a in INTERFACE_ATTRIBUTES):
                continue
            yield rule.hit(
                f"VPC endpoint '{endpoint.logical_id}' for {service} is an Interface endpoint, "
                "billed as AWS PrivateLink, where a Gateway endpoint (VpcEndpointType: Gateway "
                "with RouteTableIds) comes at no additional charge; an interface is only needed "
                "for access from on premises or another Region",
                at_value(written),
                endpoint.logical_id,
                when=kind.conditions,
            )


def gateway_endpoint_unsupported_service(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for endpoint, service, kind, written in _endpoints(t):
        if kind.value.lower() == "gateway" and service not in GATEWAY_SERVICES:
            default = " (the default VpcEndpointType)" if written.default else ""
            yield rule.hit(
                f"VPC endpoint '{endpoint.logical_id}' for {service} is a Gateway "
                f"endpoint{default}, but only Amazon S3 and DynamoDB offer Gateway endpoints: "
                "the endpoint cannot be created; set VpcEndpointType: Interface (with "
                "SubnetIds and SecurityGroupIds)",
                at_value(written),
                endpoint.logical_id,
                [Place((*endpoint.properties_path, "ServiceName"), message="the service")],
                kind.conditions,
            )


def _route_tables_missing(t: Template, endpoint: Resource) -> list[Branch]:
    """The branches on which the endpoint has no route table: `RouteTableIds` absent, empty,
    `!Ref AWS::NoValue` or a list of nothing else. Unknown values are never missing."""
    written = t.prop(endpoint, "RouteTableIds")
    if written is None:
        return [Branch(NO_VALUE)]
    return [branch for branch in t.branches(written)
            if branch.value is NO_VALUE or branch.value is None
            or (isinstance(branch.value, list) and all(
                all(b.value is NO_VALUE for b in t.branches(item)) for item in branch.value))]


def _is_gateway(kind: Branch) -> bool:
    return isinstance(kind.value, str) and kind.value.lower() == "gateway"


def gateway_endpoint_without_route_tables(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for endpoint in t.of_type(ENDPOINT):
        name = t.prop(endpoint, "ServiceName")
        service = _service(t, name.raw) if name is not None else None
        if service is not None and service not in GATEWAY_SERVICES:
            continue  # EA8014: the service has no Gateway endpoint at all
        routes = t.prop(endpoint, "RouteTableIds")
        missing = _route_tables_missing(t, endpoint)
        for kind, written in _types(t, endpoint):
            if not _is_gateway(kind):
                continue
            for _, when in combine([kind], missing):
                yield rule.hit(
                    f"Gateway VPC endpoint '{endpoint.logical_id}' has no RouteTableIds: a "
                    "gateway endpoint is a route-table target, so without route tables no "
                    "traffic goes through it; list the route tables of the subnets that use the "
                    "service",
                    at_value(routes) if routes is not None else at_value(written),
                    endpoint.logical_id,
                    when=when,
                )
