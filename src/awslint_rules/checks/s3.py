"""S3 buckets: notification destinations and the grants that let S3 deliver to them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import ANY_QUALIFIER, NOTIFIES, PERMITS, Edge
from ..intrinsics import (
    NO_VALUE,
    UNKNOWN,
    Branch,
    Located,
    alternatives,
    combine,
    items,
    merge_conditions,
    within,
)
from ..load import Path
from ..model import Model
from ..template import FUNCTION_TYPES, QUEUE, Resource, Template
from .access import function_name

TOPIC = "AWS::SNS::Topic"
# A grant S3 can use: to its service principal, or to everyone.
S3_PRINCIPALS = frozenset({"s3.amazonaws.com", "*"})


@dataclass(frozen=True)
class Destination:
    """What an S3 notification protocol delivers to, and the grant S3 needs to deliver."""

    noun: str
    types: frozenset[str]
    grant_type: str
    fix: str


DESTINATIONS = {
    "lambda": Destination(
        "function", FUNCTION_TYPES, "AWS::Lambda::Permission",
        "add an AWS::Lambda::Permission with Action lambda:InvokeFunction, FunctionName "
        "!GetAtt {target}.Arn, Principal s3.amazonaws.com and SourceAccount !Ref AWS::AccountId",
    ),
    "sqs": Destination(
        "queue", frozenset({QUEUE}), "AWS::SQS::QueuePolicy",
        "add an AWS::SQS::QueuePolicy on !Ref {target} that allows Principal Service "
        "s3.amazonaws.com the action sqs:SendMessage (with an aws:SourceArn condition naming "
        "the bucket)",
    ),
    "sns": Destination(
        "topic", frozenset({TOPIC}), "AWS::SNS::TopicPolicy",
        "add an AWS::SNS::TopicPolicy on !Ref {target} that allows Principal Service "
        "s3.amazonaws.com the action sns:Publish (with an aws:SourceArn condition naming the "
        "bucket)",
    ),
}


def _notifications(m: Model) -> Iterator[tuple[Edge, Destination]]:
    """The notifications a bucket's own NotificationConfiguration declares (SAM `S3` events
    come with their permission and DependsOn) to a function, queue or topic of this template."""
    for edge in m.graph.of_kind(NOTIFIES):
        destination = DESTINATIONS.get(edge.protocol or "")
        target = m.template.resources.get(edge.target or "")
        if edge.sam_event or destination is None or target is None:
            continue
        if target.type in destination.types:
            yield edge, destination


def _grants(m: Model, edge: Edge) -> list[Edge]:
    """The permissions or policies that let S3 deliver to the edge's destination (on some
    branch where the notification exists)."""
    return [
        grant for grant in m.graph.into(edge.target or "", PERMITS)
        if grant.principal in S3_PRINCIPALS and _covers(grant, edge)
        and merge_conditions(grant.conditions, edge.conditions) is not None
    ]


def _covers(grant: Edge, edge: Edge) -> bool:
    """Whether a grant applies to what the notification invokes: a Lambda permission on an alias
    or version does not let S3 invoke the unqualified function, nor another alias (a permission
    on the whole function is taken to cover its aliases)."""
    if grant.qualifier in (None, ANY_QUALIFIER) or edge.qualifier == ANY_QUALIFIER:
        return True
    return grant.qualifier == edge.qualifier


def _unreadable_grant(m: Model, destination: Destination) -> bool:
    """Whether a permission or policy of the destination's kind may grant S3 without the
    graph knowing: its function, queue or topic, its principal or its document is unresolved."""
    t = m.template
    grants = [e for e in m.graph.of_kind(PERMITS)
              if t.resources.get(e.owner) is not None
              and t.resources[e.owner].type == destination.grant_type]
    if any(e.target is None for e in grants):
        return True
    read = {e.owner for e in grants}
    return any(r.logical_id not in read for r in t.of_type(destination.grant_type))


def notification_permission_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    unreadable: dict[str, bool] = {}
    for edge, destination in _notifications(m):
        if _grants(m, edge):
            continue
        if unreadable.setdefault(edge.protocol or "", _unreadable_grant(m, destination)):
            continue
        target = edge.target or ""
        yield rule.hit(
            f"Bucket '{edge.source}' sends S3 notifications to {destination.noun} '{target}', "
            f"but nothing in this template lets s3.amazonaws.com deliver to it: S3 validates the "
            "destination when CloudFormation creates the bucket, so the deployment fails; "
            + destination.fix.format(target=target).replace(
                f"!GetAtt {target}.Arn", function_name(target, edge.qualifier)),
            Place(edge.path),
            edge.source,
            [Place(m.template.resources[target].path, key=True, message=destination.noun)],
            edge.conditions,
        )


# --- WA9010 notification-without-depends-on ------------------------------------------------

_SUB_NAME = re.compile(r"\$\{([^!}.][^}.]*)[.}]")


def _referenced(raw: Any, found: set[str]) -> None:
    """Every logical id (or parameter) `raw` names with Ref, GetAtt or a `${X}` of Fn::Sub."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                head = value[0] if isinstance(value, list) and value else value
                if isinstance(head, str):
                    found.add(head.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) and value else value
                if isinstance(text, str):
                    found.update(_SUB_NAME.findall(text))
            _referenced(value, found)
    elif isinstance(raw, list):
        for value in raw:
            _referenced(value, found)


def _direct_dependencies(t: Template, logical_id: str) -> set[str]:
    """The resources CloudFormation creates before this one: its DependsOn and references."""
    body = (t.document.data.get("Resources") or {}).get(logical_id)
    if not isinstance(body, dict):
        return set()
    found: set[str] = set()
    depends_on = body.get("DependsOn")
    for name in depends_on if isinstance(depends_on, list) else [depends_on]:
        if isinstance(name, str):
            found.add(name)
    _referenced(body.get("Properties"), found)
    return {name for name in found if name in t.resources and name != logical_id}


def _dependencies(t: Template, logical_id: str) -> set[str]:
    """Every resource created before this one, transitively."""
    seen: set[str] = set()
    pending = [logical_id]
    while pending:
        for name in _direct_dependencies(t, pending.pop()):
            if name not in seen:
                seen.add(name)
                pending.append(name)
    return seen


def _depends_on_place(bucket: Resource, t: Template) -> Place:
    """The bucket's DependsOn, or its logical id when it has none."""
    written = t.prop_at((*bucket.path, "DependsOn"))
    return Place(written.path) if written is not None else Place(bucket.path, key=True)


def notification_without_depends_on(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    before: dict[str, set[str]] = {}
    reported: set[tuple[str, str | None]] = set()
    for edge, destination in _notifications(m):
        bucket_id = edge.source or ""
        if (bucket_id, edge.target) in reported:
            continue
        grants = {g.owner: g for g in _grants(m, edge) if g.owner in t.resources}
        if not grants or bucket_id in grants:
            continue  # EA9004 reports a missing grant; a connector in the bucket needs no DependsOn
        dependencies = before.setdefault(bucket_id, _dependencies(t, bucket_id))
        if dependencies.intersection(grants):
            continue
        reported.add((bucket_id, edge.target))
        names = " or ".join(f"'{owner}'" for owner in sorted(grants))
        first = sorted(grants)[0]
        if bucket_id in _dependencies(t, first):
            consequence = (f"'{first}' refers to the bucket, so CloudFormation always creates it "
                           "after the bucket and S3's validation of the destination fails; build "
                           "the bucket ARN in it from a name (e.g. !Sub 'arn:${AWS::Partition}:"
                           "s3:::${BucketName}' with a parameter) instead of referring to the "
                           f"bucket, and add `DependsOn: {first}` to the bucket")
        else:
            consequence = ("CloudFormation may create the bucket first, and S3's validation of "
                           f"the destination then fails; add `DependsOn: {first}` to the bucket")
        yield rule.hit(
            f"Bucket '{bucket_id}' sends S3 notifications to {destination.noun} "
            f"'{edge.target}' but does not DependsOn {names}, which lets S3 deliver to it: "
            + consequence,
            _depends_on_place(t.resources[bucket_id], t),
            bucket_id,
            [Place(edge.path, message="notification destination"),
             *(Place(t.resources[owner].path, key=True, message="grant to S3")
               for owner in sorted(grants))],
            edge.conditions,
        )


# --- EA9002 s3-replication-without-versioning, WA9003 s3-versions-without-expiry ------------

BUCKET = "AWS::S3::Bucket"
NO_VALUE_REF = {"Ref": "AWS::NoValue"}


def _versioning(t: Template, bucket: Resource) -> list[Branch]:
    """The bucket's versioning status on each branch: 'Enabled', 'Suspended', NO_VALUE (never
    enabled) or UNKNOWN."""
    return t.values_along(t.prop(bucket, "VersioningConfiguration"), ("Status",))


def _unversioned(t: Template, bucket: Resource) -> list[Branch]:
    """The branches on which the bucket's versioning is certainly not enabled."""
    return [b for b in _versioning(t, bucket)
            if b.value is not UNKNOWN and not _is_enabled(b.value)]


def _is_enabled(value: Any) -> bool:
    return isinstance(value, str) and value == "Enabled"


def _versioning_place(t: Template, bucket: Resource, fallback: Place) -> Place:
    """The written versioning Status (e.g. Suspended), or `fallback` when there is none."""
    status = t.prop(bucket, "VersioningConfiguration", "Status")
    return Place(status.path) if status is not None else fallback


def _replication_destinations(t: Template, replication: Located) -> Iterator[Located]:
    """Each rule's Destination.Bucket, on each `Fn::If` branch, located where it is written."""
    rules = _mapping(replication.value).get("Rules")
    for rule_item in items(rules, (*replication.path, "Rules"), replication.conditions,
                           t.known_conditions):
        destination = _mapping(rule_item.value).get("Destination")
        for written in alternatives(destination, (*rule_item.path, "Destination"),
                                    rule_item.conditions, t.known_conditions):
            bucket = _mapping(written.value).get("Bucket")
            if bucket is not None:
                yield Located(bucket, (*written.path, "Bucket"), written.conditions)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def replication_without_versioning(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for bucket in t.of_type(BUCKET):
        written = t.prop(bucket, "ReplicationConfiguration")
        if written is None:
            continue
        for replication in alternatives(written.raw, written.path, (),
                                        t.known_conditions):
            if not isinstance(replication.value, dict) or replication.value == NO_VALUE_REF:
                continue
            yield from _source_unversioned(t, rule, bucket, replication)
            for destination in _replication_destinations(t, replication):
                yield from _destination_unversioned(t, rule, bucket, destination)


def _source_unversioned(t: Template, rule: Rule, bucket: Resource,
                        replication: Located) -> Iterator[Hit]:
    key = Place(_written_key(replication.path), key=True)
    for branch in within(_unversioned(t, bucket), replication.conditions):
        state = "is Suspended" if branch.value == "Suspended" else "is not enabled"
        yield rule.hit(
            f"Bucket '{bucket.logical_id}' has a ReplicationConfiguration but its versioning "
            f"{state}: S3 rejects a replication configuration on an unversioned bucket and the "
            "deployment fails; set VersioningConfiguration: {Status: Enabled}",
            _versioning_place(t, bucket, key),
            bucket.logical_id,
            [Place(replication.path, key=True, message="replication configuration")]
            if branch.value == "Suspended" else [],
            branch.conditions,
        )


def _written_key(path: Path) -> Path:
    """The property whose value an `Fn::If` branch path points into."""
    return path[: path.index("Fn::If")] if "Fn::If" in path else path


def _destination_unversioned(t: Template, rule: Rule, source: Resource,
                             destination: Located) -> Iterator[Hit]:
    target = t.resource_at(destination.value)
    if target is None or target.type != BUCKET or target.logical_id == source.logical_id:
        return
    for branch in within(_unversioned(t, target), destination.conditions):
        yield rule.hit(
            f"Bucket '{source.logical_id}' replicates to bucket '{target.logical_id}', whose "
            "versioning is not enabled: S3 can replicate only into a versioned bucket, so "
            "nothing is replicated (each object fails with DstBucketUnversioned); set "
            f"VersioningConfiguration: {{Status: Enabled}} on '{target.logical_id}'",
            Place(destination.path),
            source.logical_id,
            [_versioning_place(t, target, Place(target.path, key=True,
                                                message="destination bucket"))],
            branch.conditions,
        )


EXPIRY_KEYS = ("NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays")


def _expires_noncurrent(t: Template, rule_item: Any) -> bool:
    """A lifecycle rule that may be enabled and expires noncurrent versions (any `Fn::If` side)."""
    for side in alternatives(rule_item, (), (), t.known_conditions):
        found = _mapping(side.value)
        status = t.resolver.one(found.get("Status"))
        if status != "Disabled" and any(key in found for key in EXPIRY_KEYS):
            return True
    return False


def _never_expiring(t: Template, bucket: Resource) -> list[Branch]:
    """The branches on which no enabled lifecycle rule expires noncurrent versions."""
    rules = t.values_along(t.prop(bucket, "LifecycleConfiguration"), ("Rules",))
    return [branch for branch in rules if branch.value is NO_VALUE or branch.value is None
            or (isinstance(branch.value, list)
                and not any(_expires_noncurrent(t, item) for item in branch.value))]


def versions_without_expiry(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for bucket in t.of_type(BUCKET):
        enabled = [b for b in _versioning(t, bucket) if _is_enabled(b.value)]
        if not enabled:
            continue
        lifecycle = t.prop(bucket, "LifecycleConfiguration")
        related = [Place(lifecycle.path, key=True, message="lifecycle rules")] if lifecycle else []
        at = _versioning_place(t, bucket, Place(
            _written_key(t.prop(bucket, "VersioningConfiguration").path), key=True))
        for (_, _), when in combine(enabled, _never_expiring(t, bucket)):
            yield rule.hit(
                f"Bucket '{bucket.logical_id}' is versioned but no enabled lifecycle rule "
                "expires noncurrent versions: every overwritten or deleted object stays stored "
                "(and billed) forever; add a LifecycleConfiguration rule with Status: Enabled and "
                "NoncurrentVersionExpiration: {NoncurrentDays: 30} (or the days you need to "
                "keep old versions)",
                at,
                bucket.logical_id,
                related,
                when,
            )
