"""SNS subscriptions: redrive policies for deliveries that fail."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import SUBSCRIBES
from ..template import Template

REDRIVE_PROTOCOLS = frozenset({"lambda", "sqs", "http", "https", "firehose"})


def subscription_without_dlq(t: Template, rule: Rule) -> Iterator[Hit]:
    for edge in t.graph.of_kind(SUBSCRIBES):
        if edge.service not in REDRIVE_PROTOCOLS:
            continue
        owner = t.resources[edge.owner]
        if owner.type == "AWS::SNS::Topic":
            yield rule.hit(
                f"Topic '{owner.logical_id}' has an inline {edge.service} subscription, which "
                "cannot have a dead-letter queue: declare it as an AWS::SNS::Subscription with a "
                "RedrivePolicy",
                Place(edge.path),
                owner.logical_id,
            )
            continue
        redrive = t.prop_at((*edge.settings, "RedrivePolicy"))
        if edge.sam:
            what = f"SNS event '{edge.path[-1]}' of function '{owner.logical_id}'"
        else:
            what = f"Subscription '{owner.logical_id}'"
        for absent in t.absent_when(redrive):
            yield rule.hit(
                f"{what} ({edge.service}) has no RedrivePolicy: messages SNS cannot deliver are "
                "discarded (at once on client errors, after the delivery retries on server "
                "errors)",
                Place(edge.path, key=True),
                owner.logical_id,
                when=absent.conditions,
            )
