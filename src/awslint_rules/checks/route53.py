"""Route 53 record sets: CNAMEs at the zone apex, failover records without health checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Branch,
    Located,
    alternatives,
    items,
    merge_conditions,
    within,
)
from ..model import Model
from ..template import Resource, Template, Value

RECORD_SET = "AWS::Route53::RecordSet"
RECORD_SET_GROUP = "AWS::Route53::RecordSetGroup"
HOSTED_ZONE = "AWS::Route53::HostedZone"


def _records(t: Template) -> Iterator[tuple[Resource, Located, dict[str, Any]]]:
    """(resource, record as written, the zone settings that apply to it): each record set,
    and each entry of a record set group (whose zone is the group's)."""
    for resource in t.of_type(RECORD_SET):
        yield resource, Located(resource.properties, resource.properties_path), \
            resource.properties
    for group in t.of_type(RECORD_SET_GROUP):
        path = (*group.properties_path, "RecordSets")
        for record in items(group.properties.get("RecordSets"), path, (), t.known_conditions):
            if isinstance(record.value, dict):
                zone = group.properties if _names_zone(group.properties) else record.value
                yield group, record, zone


def _names_zone(properties: dict[str, Any]) -> bool:
    return "HostedZoneName" in properties or "HostedZoneId" in properties


def _dns_name(t: Template, raw: Any, compared: bool = True) -> str | None:
    """A DNS name without its trailing dot, in lower case when `compared`. A name that cannot
    be resolved keeps its symbolic form, so `!Ref Domain` and `!Sub "${Domain}."` are equal."""
    text = t.resolver.text(raw)
    if text is None and isinstance(raw, dict) and len(raw) == 1:
        (name, argument), = raw.items()
        if name == "Ref" and isinstance(argument, str):
            text = "${" + argument + "}"
        elif name == "Fn::Sub" and isinstance(argument, str):
            text = argument
    if not isinstance(text, str) or not text.strip():
        return None
    text = re.sub(r"\.$", "", text.strip())
    return text.lower() if compared else text


def _zone_name(t: Template, zone: dict[str, Any]) -> tuple[str | None, Resource | None]:
    """The hosted zone's name, and the AWS::Route53::HostedZone of this template it is."""
    if "HostedZoneName" in zone:
        return _dns_name(t, zone["HostedZoneName"]), None
    hosted = t.resource_at(zone.get("HostedZoneId"))
    if hosted is None or hosted.type != HOSTED_ZONE:
        return None, None
    return _dns_name(t, hosted.properties.get("Name")), hosted


def _branches(t: Template, record: Located, key: str) -> list[Located]:
    """Each written side of a record's property (its `Fn::If`s), located."""
    if not isinstance(record.value, dict) or key not in record.value:
        return []
    return alternatives(record.value[key], (*record.path, key), record.conditions,
                        t.known_conditions)



def route53_cname_at_apex(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource, record, zone in _records(t):
        apex, hosted = _zone_name(t, zone)
        name = _dns_name(t, record.value.get("Name"))
        if apex is None or name is None or name != apex:
            continue
        related = [Place(hosted.path, key=True, message="the hosted zone")] if hosted else []
        shown = _dns_name(t, record.value.get("Name"), compared=False)
        for side in _branches(t, record, "Type"):
            for branch in within(t.branches(side.value), side.conditions):
                if not (isinstance(branch.value, str) and branch.value.upper() == "CNAME"):
                    continue
                yield rule.hit(
                    f"Record '{shown}' of '{resource.logical_id}' is a CNAME at the apex of its "
                    "hosted zone: DNS allows no CNAME at the zone apex and Route 53 rejects it; "
                    "use an alias A/AAAA record (AliasTarget) instead",
                    Place(side.path),
                    resource.logical_id,
                    related,
                    branch.conditions,
                )


def _evaluates_target_health(t: Template, record: dict[str, Any]) -> list[Branch]:
    """Per branch: whether the record is an alias with EvaluateTargetHealth true (None when
    unknown)."""
    found = []
    alias = record.get("AliasTarget")
    branches = (t.values_along(Value(alias, ()), ("EvaluateTargetHealth",)) if alias
                else [Branch(NO_VALUE)])
    for branch in branches:
        value = branch.value
        truth = None if value is UNKNOWN else value in (True, "true", "True")
        found.append(Branch(truth, branch.conditions))
    return found


def _health_check(t: Template, record: dict[str, Any]) -> list[Branch]:
    """Per branch: whether HealthCheckId is set (None when unknown)."""
    raw = record.get("HealthCheckId")
    if raw is None:
        return [Branch(False)]
    return [Branch(None if b.value is UNKNOWN else b.value not in (NO_VALUE, None, ""),
                   b.conditions) for b in t.branches(raw)]


def route53_failover_without_health_check(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource, record, _ in _records(t):
        for side in _branches(t, record, "Failover"):
            for branch in within(t.branches(side.value), side.conditions):
                if not (isinstance(branch.value, str) and branch.value.upper() == "PRIMARY"):
                    continue
                yield from _unchecked_primary(t, rule, resource, record, side, branch)


def _unchecked_primary(t: Template, rule: Rule, resource: Resource, record: Located,
                       side: Located, primary: Branch) -> Iterator[Hit]:
    for check in _health_check(t, record.value):
        for evaluates in _evaluates_target_health(t, record.value):
            if check.value is not False or evaluates.value is not False:
                continue
            when = merge_conditions(primary.conditions, check.conditions, evaluates.conditions)
            if when is None:
                continue
            alias = "AliasTarget" in record.value
            fix = ("set AliasTarget.EvaluateTargetHealth to true or add a HealthCheckId"
                   if alias else "add a HealthCheckId (an AWS::Route53::HealthCheck)")
            yield rule.hit(
                f"PRIMARY failover record '{_record_name(t, record.value)}' of "
                f"'{resource.logical_id}' has no health check: Route 53 considers a record "
                "without one always healthy, so it never fails over to the SECONDARY; " + fix,
                Place(side.path),
                resource.logical_id,
                when=when,
            )


def _record_name(t: Template, record: dict[str, Any]) -> str:
    return _dns_name(t, record.get("Name"), compared=False) or "(unnamed)"
