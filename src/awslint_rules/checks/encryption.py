"""Encrypted queues and topics that AWS services deliver to: can the service use the key?"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import SUBSCRIBES, TARGETS
from ..intrinsics import (
    Conditions,
    Located,
    alternatives,
    items,
    merge_conditions,
)
from ..load import Path
from ..model import Model
from ..template import QUEUE, Resource, Template

TOPIC = "AWS::SNS::Topic"
KEY = "AWS::KMS::Key"
ALIAS = "AWS::KMS::Alias"
ALARM = "AWS::CloudWatch::Alarm"
BUCKET = "AWS::S3::Bucket"

# The AWS managed key of each receiving service: its key policy cannot be changed.
MANAGED_ALIASES = {QUEUE: "alias/aws/sqs", TOPIC: "alias/aws/sns"}
# What the sending service must be allowed on a customer managed key.
REQUIRED_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
# Conditions EventBridge does not send to KMS when it publishes to an encrypted topic.
EVENTBRIDGE_UNSUPPORTED_CONDITIONS = ("aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid")
EVENTBRIDGE = "events.amazonaws.com"


@dataclass(frozen=True)
class Delivery:
    """A service that sends messages to a queue or topic of this template."""

    principal: str  # the service principal, e.g. sns.amazonaws.com
    target: Resource  # the queue or topic
    sender: str  # 'subscription 'S'', 'rule 'R'', ...
    at: Place  # where the wiring is declared
    conditions: Conditions


def _deliveries(m: Model) -> Iterator[Delivery]:
    t = m.template
    for edge in m.graph.of_kind(SUBSCRIBES):
        target = t.resources.get(edge.target or "")
        if edge.protocol == "sqs" and target is not None and target.type == QUEUE:
            yield Delivery("sns.amazonaws.com", target, _subscriber(t, edge.owner),
                           _at(edge.path), edge.conditions)
    for edge in m.graph.of_kind(TARGETS):
        target = t.resources.get(edge.target or "")
        if edge.origin == "events" and target is not None and target.type in MANAGED_ALIASES:
            yield Delivery(EVENTBRIDGE, target, f"rule '{edge.owner}'", _at(edge.path),
                           edge.conditions)
    yield from _bucket_deliveries(t)
    yield from _alarm_deliveries(t)


def _subscriber(t: Template, owner: str) -> str:
    kind = t.resources[owner].type
    if kind == "AWS::SNS::Subscription":
        return f"subscription '{owner}'"
    return f"the subscription of topic '{owner}'" if kind == TOPIC else \
        f"the SNS event of '{owner}'"


def _at(path: Path) -> Place:
    return Place(path, key=isinstance(path[-1], str))


# S3 notification list -> the key naming its destination (Lambda destinations need no key)
S3_DESTINATIONS = {"QueueConfigurations": "Queue", "TopicConfigurations": "Topic"}


def _bucket_deliveries(t: Template) -> Iterator[Delivery]:
    """S3 event notifications to queues and topics of this template."""
    for bucket in t.of_type(BUCKET):
        base = (*bucket.properties_path, "NotificationConfiguration")
        config = bucket.properties.get("NotificationConfiguration")
        for section in alternatives(config, base, bucket.conditions, t.known_conditions):
            for key, field in S3_DESTINATIONS.items():
                listed = section.value.get(key) if isinstance(section.value, dict) else None
                for item in items(listed, (*section.path, key), section.conditions,
                                  t.known_conditions):
                    raw = item.value.get(field) if isinstance(item.value, dict) else None
                    target = t.resource_at(raw)
                    if target is not None and target.type in MANAGED_ALIASES:
                        yield Delivery("s3.amazonaws.com", target,
                                       f"bucket '{bucket.logical_id}'", Place((*item.path, field)),
                                       item.conditions)


ALARM_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def _alarm_deliveries(t: Template) -> Iterator[Delivery]:
    """CloudWatch alarms notifying topics of this template."""
    for alarm in t.of_type(ALARM):
        for key in ALARM_ACTIONS:
            path = (*alarm.properties_path, key)
            for item in items(alarm.properties.get(key), path, alarm.conditions,
                              t.known_conditions):
                target = t.resource_at(item.value)
                if target is not None and target.type == TOPIC:
                    yield Delivery("cloudwatch.amazonaws.com", target,
                                   f"alarm '{alarm.logical_id}'", Place(item.path),
                                   item.conditions)


# -- the key of a queue or topic ----------------------------------------------------------------


@dataclass(frozen=True)
class Encryption:
    """One branch of a queue's or topic's `KmsMasterKeyId`: the AWS managed key, or a customer
    managed key of this template."""

    managed: bool
    key: Resource | None
    written: Located


def _encryptions(t: Template, target: Resource) -> Iterator[Encryption]:
    raw = target.properties.get("KmsMasterKeyId")
    path = (*target.properties_path, "KmsMasterKeyId")
    for written in alternatives(raw, path, target.conditions, t.known_conditions):
        ref = t.reference(written.value)
        if ref is not None:
            key = _key_of(t, ref.logical_id)
            if key is not None:
                yield Encryption(False, key, written)
            continue
        text = t.resolver.text(written.value)
        if text is not None and _is_managed(text, MANAGED_ALIASES[target.type]):
            yield Encryption(True, None, written)


def _is_managed(text: str, alias: str) -> bool:
    """`alias/aws/sqs`, or an alias ARN ending in it."""
    return text == alias or text.endswith(f":{alias}")


def _key_of(t: Template, logical_id: str) -> Resource | None:
    """The customer managed key a `Ref`/`GetAtt` names, directly or through an alias."""
    resource = t.resources.get(logical_id)
    if resource is not None and resource.type == ALIAS:
        resource = t.resource_at(resource.properties.get("TargetKeyId"))
    return resource if resource is not None and resource.type == KEY else None


# -- key policies -------------------------------------------------------------------------------


def _statements(t: Template, key: Resource) -> list[Any] | None:
    """The key policy's statements; [] for the default policy; None when it cannot be read."""
    policy = key.properties.get("KeyPolicy")
    if policy is None:
        return []  # the default key policy lets only the account's IAM principals in
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return None
    if not isinstance(policy, dict):
        return None
    statements = policy.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    return statements if all(isinstance(s, dict) for s in statements) else None


def _names(t: Template, raw: Any) -> list[str] | None:
    """A string or list of strings, resolved; None when one of them cannot be told."""
    values = raw if isinstance(raw, list) else [raw]
    resolved = [t.resolver.one(v) for v in values]
    return [v for v in resolved if isinstance(v, str)] if all(
        isinstance(v, str) for v in resolved) else None


def _allowed_actions(t: Template, statements: list[Any], principal: str) -> set[str] | None:
    """The actions the key policy allows `principal`; None when that cannot be told."""
    actions: set[str] = set()
    for statement in statements:
        if t.resolver.one(statement.get("Effect")) != "Allow":
            continue
        if "NotPrincipal" in statement or "NotAction" in statement:
            return None
        granted = _grants(t, statement.get("Principal"), principal)
        if granted is None:
            return None
        if not granted or _condition_blocks(statement, principal):
            continue
        names = _names(t, statement.get("Action"))
        if names is None:
            return None
        actions.update(names)
    return actions


def _grants(t: Template, raw: Any, principal: str) -> bool | None:
    if raw == "*":
        return True
    if not isinstance(raw, dict):
        return None
    if raw.get("AWS") in ("*", ["*"]):
        return True
    if "Service" not in raw:
        return False
    services = _names(t, raw["Service"])
    return None if services is None else principal in services


def _condition_blocks(statement: dict[str, Any], principal: str) -> bool:
    """EventBridge sends no source conditions to KMS when it publishes to a topic: a statement
    that requires them never matches."""
    condition = statement.get("Condition")
    if principal != EVENTBRIDGE or not isinstance(condition, dict):
        return False
    keys = {k.lower() for test in condition.values() if isinstance(test, dict) for k in test}
    return bool(keys & set(EVENTBRIDGE_UNSUPPORTED_CONDITIONS))


def _missing(actions: set[str]) -> list[str]:
    """The required actions that none of `actions` covers (wildcards included)."""
    lowered = [a.lower() for a in actions]
    return [
        need for need in REQUIRED_ACTIONS
        if not any(fnmatch.fnmatchcase(need.lower().rstrip("*"), granted) for granted in lowered)
    ]


# -- the rule ------------------------------------------------------------------------------------


def queue_managed_key_blocks_delivery(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    managed: dict[tuple[str, Path, Conditions], list[Delivery]] = {}
    for delivery in _deliveries(m):
        for encryption in _encryptions(t, delivery.target):
            when = merge_conditions(encryption.written.conditions, delivery.conditions)
            if when is None:
                continue
            if encryption.managed:
                where = (delivery.target.logical_id, encryption.written.path, when)
                managed.setdefault(where, []).append(delivery)
            elif encryption.key is not None:
                hit = _customer_key_hit(t, rule, delivery, encryption, when)
                if hit is not None:
                    yield hit
    for (_, path, when), deliveries in managed.items():
        yield _managed_key_hit(rule, deliveries, path, when)


def _listing(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _kind(target: Resource) -> str:
    return "queue" if target.type == QUEUE else "topic"


def _managed_key_hit(rule: Rule, deliveries: list[Delivery], path: Path,
                     when: Conditions) -> Hit:
    target = deliveries[0].target
    alias = MANAGED_ALIASES[target.type]
    principals = _listing([d.principal for d in deliveries])
    instead = ("SSE-SQS (SqsManagedSseEnabled: true, no KmsMasterKeyId) or a customer managed "
               "key" if target.type == QUEUE else "a customer managed key")
    return rule.hit(
        f"{_kind(target).capitalize()} '{target.logical_id}' is encrypted with the AWS managed "
        f"key {alias}, whose key policy cannot be changed to let {principals} use it: every "
        f"message from {_listing([d.sender for d in deliveries])} fails to be delivered; use "
        f"{instead} whose policy allows {principals} kms:GenerateDataKey* and kms:Decrypt",
        Place(path), target.logical_id,
        [Place(d.at.path, d.at.key, d.sender) for d in deliveries], when,
    )


def _customer_key_hit(t: Template, rule: Rule, delivery: Delivery, encryption: Encryption,
                      when: Conditions) -> Hit | None:
    key = encryption.key
    if key is None:
        return None
    statements = _statements(t, key)
    actions = _allowed_actions(t, statements, delivery.principal) if statements is not None \
        else None
    if actions is None:
        return None
    missing = _missing(actions)
    if not missing:
        return None
    target = delivery.target
    policy = key.properties.get("KeyPolicy")
    at = Place((*key.properties_path, "KeyPolicy"), key=True) if policy is not None \
        else Place(key.path, key=True)
    return rule.hit(
        f"Key '{key.logical_id}' encrypts {_kind(target)} '{target.logical_id}', but its key "
        f"policy does not allow {delivery.principal} {' and '.join(missing)}: every message "
        f"from {delivery.sender} fails to be delivered; add a statement with Effect: Allow, "
        f"Principal: {{Service: {delivery.principal}}}, Action: [kms:GenerateDataKey*, "
        "kms:Decrypt], Resource: '*'",
        at, key.logical_id,
        [Place(encryption.written.path, message=f"{_kind(target)} '{target.logical_id}'"),
         Place(delivery.at.path, delivery.at.key, delivery.sender)], when,
    )
