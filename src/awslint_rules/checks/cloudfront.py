"""CloudFront: Lambda@Edge associations, certificates, S3 origins and CloudFront Functions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..assembly import FOREIGN
from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import INVOKES, Edge
from ..intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Branch,
    Conditions,
    Located,
    Ref,
    alternatives,
    as_number,
    items,
    merge_conditions,
)
from ..model import Model
from ..template import SAM_FUNCTION, Resource, Template, Value
from . import at_edge, at_value

DISTRIBUTION = "AWS::CloudFront::Distribution"
EDGE_REGION = "us-east-1"
VERSION = "AWS::Lambda::Version"
ALIAS = "AWS::Lambda::Alias"
FUNCTION = "AWS::Lambda::Function"

# arn:partition:lambda:region:account:function:name[:qualifier]
_LAMBDA_ARN = re.compile(r"^arn:[^:]*:lambda:[^:]*:[^:]*:function:[^:]+(?::(?P<qualifier>[^:]*))?$")
# arn:partition:acm:region:account:certificate/id
_ACM_ARN = re.compile(r"^arn:[^:]*:acm:(?P<region>[^:]*):[^:]*:certificate/")


def _located(t: Template, raw: Any, path: tuple, conditions: Conditions = ()) -> list[Located]:
    return alternatives(raw, path, conditions, t.known_conditions)


def _values(t: Template, side: Located) -> list[Branch]:
    """The values one written side takes; a string whose only unknown parts are pseudo
    parameters (`${AWS::Region}`) is kept as text (`{AWS.Region}`)."""
    found = []
    for branch in t.branches(side.value):
        conditions = merge_conditions(side.conditions, branch.conditions)
        if conditions is None:
            continue
        value = branch.value
        if value is UNKNOWN and not branch.conditions:
            value = t.resolver.text(side.value) or UNKNOWN
        found.append(Branch(value, conditions))
    return found


def _associations(t: Template, distribution: Resource) -> Iterator[Located]:
    """Every Lambda@Edge association of the distribution's cache behaviors, as written."""
    config = distribution.properties.get("DistributionConfig")
    if not isinstance(config, dict):
        return
    base = (*distribution.properties_path, "DistributionConfig")
    behaviors = _located(t, config.get("DefaultCacheBehavior"), (*base, "DefaultCacheBehavior"))
    behaviors += items(config.get("CacheBehaviors"), (*base, "CacheBehaviors"), (),
                       t.known_conditions)
    for behavior in behaviors:
        if isinstance(behavior.value, dict):
            yield from items(behavior.value.get("LambdaFunctionAssociations"),
                             (*behavior.path, "LambdaFunctionAssociations"), behavior.conditions,
                             t.known_conditions)


# --- EA8006 lambda-edge-unversioned ----------------------------------------------------------


def _unversioned(t: Template, value: Any) -> str | None:
    """Why the associated ARN is not a numbered version, or None (a version, or unknown)."""
    if isinstance(value, Ref):
        return _unversioned_reference(t, value)
    if isinstance(value, str):
        match = _LAMBDA_ARN.match(value.strip())
        if match is None:
            return None
        qualifier = match["qualifier"]
        if qualifier is None or qualifier == "":
            return "an unqualified function ARN (it means $LATEST)"
        if qualifier == "$LATEST":
            return "$LATEST"
        if qualifier.isdigit() or "{" in qualifier:
            return None
        return f"the alias '{qualifier}'"
    return None


def _unversioned_reference(t: Template, ref: Ref) -> str | None:
    resource = t.resources.get(ref.logical_id)
    if resource is None:
        return None
    if ref.qualifier is not None:
        if ref.qualifier == "$LATEST":
            return "$LATEST"
        return None if ref.qualifier.isdigit() else f"the alias '{ref.qualifier}'"
    if resource.type == ALIAS and ref.attribute is None:
        return f"the alias '{ref.logical_id}'"
    if resource.type == FUNCTION and ref.attribute in (None, "Arn"):
        return f"the unqualified function '{ref.logical_id}' (it means $LATEST)"
    if resource.type == SAM_FUNCTION:
        if ref.attribute == "Alias":
            return f"the alias SAM publishes for '{ref.logical_id}'"
        if ref.attribute in (None, "Arn"):
            return f"the unqualified function '{ref.logical_id}' (it means $LATEST)"
    return None


def lambda_edge_unversioned(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for distribution in t.of_type(DISTRIBUTION):
        for association in _associations(t, distribution):
            if not isinstance(association.value, dict):
                continue
            path = (*association.path, "LambdaFunctionARN")
            for side in _located(t, association.value.get("LambdaFunctionARN"), path,
                                 association.conditions):
                for branch in _values(t, side):
                    reason = _unversioned(t, branch.value)
                    if reason is None:
                        continue
                    yield rule.hit(
                        f"Distribution '{distribution.logical_id}' associates {reason} with "
                        "a cache behavior: Lambda@Edge accepts only a numbered function "
                        "version, so the distribution cannot be created or updated; use "
                        "`!Ref` of an AWS::Lambda::Version (or a SAM function's "
                        "`!Ref Function.Version`)",
                        Place(side.path),
                        distribution.logical_id,
                        when=branch.conditions,
                    )


# --- EA8007 lambda-edge-limits ---------------------------------------------------------------

VIEWER_EVENTS = ("viewer-request", "viewer-response")
VIEWER_TIMEOUT = 5
ORIGIN_TIMEOUT = 30
VIEWER_MEMORY = 128
EPHEMERAL_LIMIT = 512
EDGE_RUNTIMES = ("nodejs", "python")
PROVISIONED = "ProvisionedConcurrencyConfig"


def _edge_associations(m: Model) -> dict[str, list[Edge]]:
    """Function logical id -> the Lambda@Edge associations of it in this template."""
    found: dict[str, list[Edge]] = {}
    for edge in m.graph.of_kind(INVOKES):
        if edge.origin == "cloudfront" and edge.target in m.template.resources:
            found.setdefault(edge.target, []).append(edge)
    return found


def _is_viewer(t: Template, edge: Edge) -> bool:
    """Whether the association is certainly for a viewer event (request or response)."""
    event = t.prop_at((*edge.path, "EventType"))
    branches = t.branches(event) if event is not None else []
    return bool(branches) and all(
        isinstance(b.value, str) and b.value.strip().lower() in VIEWER_EVENTS for b in branches)


def _first(edges: list[Edge], conditions: Conditions) -> tuple[list[Edge], Conditions] | None:
    """The associations that can exist under `conditions`, and the conditions of the first."""
    fitting = [e for e in edges if merge_conditions(conditions, e.conditions) is not None]
    if not fitting:
        return None
    merged = merge_conditions(conditions, fitting[0].conditions)
    return (fitting, merged) if merged is not None else None


class _EdgeFunction:
    """One function's Lambda@Edge associations and what a finding about it needs."""

    def __init__(self, m: Model, rule: Rule, function: Resource, edges: list[Edge]) -> None:
        self.t = m.template
        self.rule = rule
        self.function = function
        self.edges = edges
        self.viewer = [e for e in edges if _is_viewer(self.t, e)]

    def hit(self, message: str, at: Place, edges: list[Edge], conditions: Conditions,
            rejected: bool = True) -> Iterator[Hit]:
        """`rejected`: CloudFront validates this restriction when the association is made."""
        fitting = _first(edges, conditions)
        if fitting is None:
            return
        chosen, when = fitting
        consequence = ": CloudFront rejects the association" if rejected else ""
        yield self.rule.hit(
            f"Lambda@Edge function '{self.function.logical_id}' {message}{consequence}",
            at, self.function.logical_id,
            [at_edge(e, "Lambda@Edge association") for e in chosen], when,
        )

    def numbers(self, key: str) -> Iterator[tuple[float, Value, Conditions]]:
        value = self.t.effective(self.function, key)
        for branch in self.t.branches(value):
            number = as_number(branch.value)
            if number is not None:
                yield number, value, branch.conditions

    def present(self, key: str, *below: str) -> Iterator[tuple[Value, Conditions]]:
        """Where the property (or `below` it) is set to something on some branch."""
        value = self.t.prop(self.function, key)
        if value is None:
            return
        for branch in self.t.values_along(value, below):
            if branch.value not in (NO_VALUE, None, UNKNOWN, {}, [], ""):
                yield value, branch.conditions


def _timeout_and_memory(e: _EdgeFunction) -> Iterator[Hit]:
    viewer, edges = bool(e.viewer), e.viewer or e.edges
    limit = VIEWER_TIMEOUT if viewer else ORIGIN_TIMEOUT
    kind = "viewer" if viewer else "origin"
    for number, value, when in e.numbers("Timeout"):
        if number > limit:
            inherited = " (from Globals)" if value.path[:1] == ("Globals",) else ""
            yield from e.hit(
                f"has Timeout {number:g} s{inherited}, over the {limit} s Lambda@Edge allows "
                f"for {kind} events",
                at_value(value), edges if viewer else e.edges, when)
    if not viewer:
        return
    for number, value, when in e.numbers("MemorySize"):
        if number > VIEWER_MEMORY:
            yield from e.hit(
                f"has MemorySize {number:g} MB, over the {VIEWER_MEMORY} MB Lambda@Edge allows "
                "for viewer events",
                at_value(value), e.viewer, when)


# (property, keys below it that must hold something, what the page calls the feature)
UNSUPPORTED = (
    ("Environment", ("Variables",), "sets environment variables (Environment)"),
    ("VpcConfig", ("SubnetIds",), "is configured to access a VPC (VpcConfig)"),
    ("Layers", (), "uses Lambda layers (Layers)"),
)


_PROVISIONED_MESSAGE = (
    "{} provisioned concurrency (ProvisionedConcurrencyConfig), which the Lambda@Edge "
    "restrictions list as not supported")


def _unsupported_features(e: _EdgeFunction) -> Iterator[Hit]:
    for key, below, feature in UNSUPPORTED:
        for value, when in e.present(key, *below):
            yield from e.hit(f"{feature}, which Lambda@Edge does not support",
                             Place(value.path), e.edges, when)
    for value, when in e.present(PROVISIONED):
        yield from e.hit(_PROVISIONED_MESSAGE.format("has"), Place(value.path), e.edges, when,
                         rejected=False)
    for number, value, when in _ephemeral(e):
        yield from e.hit(
            f"has {number:g} MB of ephemeral storage (EphemeralStorage); Lambda@Edge supports "
            f"at most {EPHEMERAL_LIMIT} MB", Place(value.path), e.edges, when)
    for mode, value, when in _runtime_updates(e):
        yield from e.hit(
            f"has the runtime management mode {mode} (RuntimeManagementConfig); Lambda@Edge "
            "supports only Auto", Place(value.path), e.edges, when)
    yield from _runtime(e)
    yield from _provisioned_versions(e)


def _ephemeral(e: _EdgeFunction) -> Iterator[tuple[float, Value, Conditions]]:
    value = e.t.prop(e.function, "EphemeralStorage", "Size")
    for branch in e.t.branches(value) if value is not None else ():
        number = as_number(branch.value)
        if number is not None and number > EPHEMERAL_LIMIT:
            yield number, value, branch.conditions  # type: ignore[misc]


def _runtime_updates(e: _EdgeFunction) -> Iterator[tuple[str, Value, Conditions]]:
    value = e.t.prop(e.function, "RuntimeManagementConfig", "UpdateRuntimeOn")
    for branch in e.t.branches(value) if value is not None else ():
        if isinstance(branch.value, str) and branch.value.strip().lower() != "auto":
            yield branch.value, value, branch.conditions  # type: ignore[misc]


def _runtime(e: _EdgeFunction) -> Iterator[Hit]:
    package = e.t.prop(e.function, "PackageType")
    for branch in e.t.branches(package) if package is not None else ():
        if isinstance(branch.value, str) and branch.value.strip().lower() == "image":
            yield from e.hit(
                "is a container image (PackageType Image); Lambda@Edge runs only the Node.js "
                "and Python runtimes", at_value(package), e.edges, branch.conditions)
    runtime = e.t.prop(e.function, "Runtime")
    for branch in e.t.branches(runtime) if runtime is not None else ():
        name = branch.value
        if isinstance(name, str) and name and not name.strip().lower().startswith(EDGE_RUNTIMES):
            yield from e.hit(
                f"uses the runtime {name}; Lambda@Edge runs only the Node.js and Python "
                "runtimes", at_value(runtime), e.edges, branch.conditions)


def _provisioned_versions(e: _EdgeFunction) -> Iterator[Hit]:
    """Provisioned concurrency on the AWS::Lambda::Version an association names."""
    for edge in e.edges:
        arn = e.t.prop_at((*edge.path, "LambdaFunctionARN"))
        version = e.t.resource_at(arn.raw) if arn is not None else None
        if version is None or version.type != VERSION:
            continue
        config = version.properties.get(PROVISIONED)
        if config is None:
            continue
        for branch in e.t.branches(config):
            if isinstance(branch.value, dict):
                yield from e.hit(
                    _PROVISIONED_MESSAGE.format(f"is associated as version "
                                                f"'{version.logical_id}', which has"),
                    Place((*version.properties_path, PROVISIONED), key=True), [edge],
                    branch.conditions, rejected=False)


def _region(m: Model, e: _EdgeFunction) -> Iterator[Hit]:
    if m.region is None or m.region == EDGE_REGION or str(e.function.path[0]).startswith(
            FOREIGN):  # a function of another stack (CDK's EdgeFunction): not this Region's
        return
    yield from e.hit(
        f"is created in this stack's Region, {m.region} (the region setting), not in "
        f"{EDGE_REGION} (US East, N. Virginia) where Lambda@Edge functions must be",
        Place(e.function.path, key=True), e.edges, ())


def lambda_edge_limits(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function_id, edges in _edge_associations(m).items():
        e = _EdgeFunction(m, rule, t.resources[function_id], edges)
        yield from _timeout_and_memory(e)
        yield from _unsupported_features(e)
        yield from _region(m, e)


# --- EA8002 cloudfront-certificate-region ----------------------------------------------------

CERTIFICATE = "AWS::CertificateManager::Certificate"


def _certificate_region(m: Model, value: Any) -> tuple[str, str] | None:
    """(Region, what it is) of a certificate certainly not in us-east-1, else None."""
    t = m.template
    if isinstance(value, Ref):
        resource = t.resources.get(value.logical_id)
        if resource is None or resource.type != CERTIFICATE or m.region in (None, EDGE_REGION):
            return None
        return str(m.region), (f"certificate '{value.logical_id}' of this stack, so in "
                               f"{m.region} (the region setting)")
    if not isinstance(value, str):
        return None
    match = _ACM_ARN.match(value.strip())
    if match is None:
        return None
    region = match["region"]
    if region == "{AWS.Region}":
        if m.region in (None, EDGE_REGION):
            return None
        return str(m.region), ("a certificate of this stack's Region (${AWS::Region}), "
                               f"{m.region} (the region setting)")
    if "{" in region or region == EDGE_REGION:
        return None
    return region, f"an ACM certificate in {region}"


def cloudfront_certificate_region(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for distribution in t.of_type(DISTRIBUTION):
        config = distribution.properties.get("DistributionConfig")
        base = (*distribution.properties_path, "DistributionConfig")
        if not isinstance(config, dict):
            continue
        for viewer in _located(t, config.get("ViewerCertificate"), (*base, "ViewerCertificate")):
            if not isinstance(viewer.value, dict):
                continue
            path = (*viewer.path, "AcmCertificateArn")
            for side in _located(t, viewer.value.get("AcmCertificateArn"), path,
                                 viewer.conditions):
                for branch in _values(t, side):
                    found = _certificate_region(m, branch.value)
                    if found is None:
                        continue
                    related = _certificate_place(t, branch.value)
                    yield rule.hit(
                        f"Distribution '{distribution.logical_id}' uses {found[1]}: "
                        "CloudFront accepts only ACM certificates requested or "
                        f"imported in {EDGE_REGION} (US East, N. Virginia), so the "
                        f"distribution cannot be created; create the certificate in "
                        f"{EDGE_REGION} and pass its ARN",
                        Place(side.path),
                        distribution.logical_id,
                        related,
                        branch.conditions,
                    )


def _certificate_place(t: Template, value: Any) -> list[Place]:
    if isinstance(value, Ref) and value.logical_id in t.resources:
        return [Place(t.resources[value.logical_id].path, key=True, message="the certificate")]
    return []


# --- WA8003 cloudfront-s3-origin-public ------------------------------------------------------

BUCKET = "AWS::S3::Bucket"
# bucket.s3.amazonaws.com, bucket.s3.eu-west-1.amazonaws.com, bucket.s3-eu-west-1.amazonaws.com
_S3_REST = re.compile(r"\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?\.?$")
_S3_WEBSITE = re.compile(r"\.s3-website[.-]")
S3_ATTRIBUTES = ("DomainName", "RegionalDomainName", "DualStackDomainName")


def _s3_origin(t: Template, origin: dict[str, Any]) -> tuple[bool, Ref | None]:
    """Whether the origin is certainly a bucket's REST endpoint: its DomainName says so, or it
    has an S3OriginConfig and a DomainName that is not a website endpoint; and the bucket of
    this template it names."""
    domain = origin.get("DomainName")
    ref = t.reference(domain)
    if ref is not None:
        resource = t.resources.get(ref.logical_id)
        if resource is not None and resource.type == BUCKET:
            return ref.attribute in S3_ATTRIBUTES, ref
    text = (t.resolver.text(domain) or _sub_pattern(domain)).strip().lower()
    if _S3_WEBSITE.search(text):
        return False, None
    return bool(_S3_REST.search(text)) or "S3OriginConfig" in origin, None


def _sub_pattern(raw: Any) -> str:
    """The shape of a `Fn::Sub` string, each `${...}` a placeholder: `${Bucket}.s3.${AWS::Region}
    .amazonaws.com` is a bucket's REST endpoint whatever the bucket and Region."""
    sub = raw.get("Fn::Sub") if isinstance(raw, dict) and len(raw) == 1 else None
    text = sub[0] if isinstance(sub, list) and sub else sub
    return re.sub(r"\$\{[^}]*\}", "x", text) if isinstance(text, str) else ""


def _without_access_control(t: Template, origin: dict[str, Any]) -> list[Conditions] | None:
    """The conditions under which the origin has neither OAC nor OAI; None when one is
    certainly (or maybe: unknown) set on every branch."""
    lacking: list[Conditions] = []
    oac = origin.get("OriginAccessControlId")
    s3 = origin.get("S3OriginConfig")
    oai_branches = t.values_along(Value(s3, ()), ("OriginAccessIdentity",)) if s3 is not None \
        else [Branch(NO_VALUE)]
    oac_branches = t.branches(oac) if oac is not None else [Branch(NO_VALUE)]
    for oac_branch in oac_branches:
        for oai_branch in oai_branches:
            values = (oac_branch.value, oai_branch.value)
            if any(v is UNKNOWN or (v not in (NO_VALUE, None, "") and not _blank(v))
                   for v in values):
                continue
            merged = merge_conditions(oac_branch.conditions, oai_branch.conditions)
            if merged is not None:
                lacking.append(merged)
    return lacking or None


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def cloudfront_s3_origin_public(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for distribution in t.of_type(DISTRIBUTION):
        config = distribution.properties.get("DistributionConfig")
        if not isinstance(config, dict):
            continue
        path = (*distribution.properties_path, "DistributionConfig", "Origins")
        for origin in items(config.get("Origins"), path, (), t.known_conditions):
            yield from _public_origin(t, rule, distribution, origin)


def _public_origin(t: Template, rule: Rule, distribution: Resource, origin: Located
                   ) -> Iterator[Hit]:
    if not isinstance(origin.value, dict) or "CustomOriginConfig" in origin.value:
        return  # a website endpoint (or any custom origin) is reached over plain HTTP(S)
    is_s3, bucket = _s3_origin(t, origin.value)
    lacking = _without_access_control(t, origin.value) if is_s3 else None
    if lacking is None:
        return
    related = []
    if isinstance(bucket, Ref):
        related.append(Place(t.resources[bucket.logical_id].path, key=True, message="the bucket"))
    name = f"bucket '{bucket.logical_id}'" if isinstance(bucket, Ref) else "the bucket"
    for conditions in lacking:
        when = merge_conditions(conditions, origin.conditions)
        if when is None:
            continue
        yield rule.hit(
            f"Distribution '{distribution.logical_id}' reads an S3 origin without origin "
            f"access control (OriginAccessControlId) or identity (S3OriginConfig."
            f"OriginAccessIdentity): CloudFront can only read {name} if it is public, and then "
            "anyone can bypass the distribution; add an AWS::CloudFront::OriginAccessControl "
            "and a bucket policy for cloudfront.amazonaws.com",
            Place((*origin.path, "DomainName")),
            distribution.logical_id,
            related,
            when,
        )


# --- EA8008 cloudfront-function-too-large ----------------------------------------------------

CLOUDFRONT_FUNCTION = "AWS::CloudFront::Function"


def cloudfront_function_too_large(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    limit = rule.option("max_bytes")
    for function in t.of_type(CLOUDFRONT_FUNCTION):
        code = t.prop(function, "FunctionCode")
        if code is None:
            continue
        for side in _located(t, code.raw, code.path):
            for branch in _values(t, side):
                if not isinstance(branch.value, str):
                    continue  # built with intrinsics we cannot size
                size = len(branch.value.encode("utf-8"))
                if size > limit:
                    yield rule.hit(
                        f"CloudFront Function '{function.logical_id}' code is {size:,} bytes, "
                        f"over the {limit:,}-byte (10 KB) maximum function size: CloudFront "
                        "rejects it; move logic to Lambda@Edge or trim the code",
                        Place(side.path),
                        function.logical_id,
                        when=branch.conditions,
                    )
