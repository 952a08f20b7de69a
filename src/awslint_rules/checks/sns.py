"""SNS subscriptions: redrive policies, permissions and queue policies for deliveries, FIFO
topics' subscribers."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import DEAD_LETTERS, INVOKES, SUBSCRIBES, SUBSCRIPTION_DLQ, Edge
from ..intrinsics import Branch, Conditions, combine, within
from ..load import Path
from ..model import Model
from ..template import QUEUE, Template
from .access import Grants, at_resource, function_name

REDRIVE_PROTOCOLS = frozenset({"lambda", "sqs", "http", "https", "firehose"})


def _protocols(t: Template, edge: Edge) -> list[Branch]:
    """The protocols a subscription can have: `Protocol` may be `!If` or a parameter."""
    if edge.sam_event:
        return [Branch(edge.protocol)]  # lambda, or sqs with SqsSubscription
    protocol = t.prop_at((*edge.settings, "Protocol"))
    return t.branches(protocol) if protocol is not None else []


def subscription_without_dlq(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in m.graph.of_kind(SUBSCRIBES):
        owner = t.resources.get(edge.owner)
        protocols = [b for b in within(_protocols(t, edge), edge.conditions)
                     if isinstance(b.value, str) and b.value in REDRIVE_PROTOCOLS]
        if owner is None or not protocols:
            continue
        if owner.type == "AWS::SNS::Topic":
            for protocol in protocols:
                yield rule.hit(
                    f"Topic '{owner.logical_id}' has an inline {protocol.value} subscription, "
                    "which cannot have a dead-letter queue: declare it as an "
                    "AWS::SNS::Subscription with a RedrivePolicy",
                    Place(edge.path),
                    owner.logical_id,
                    when=protocol.conditions,
                )
            continue
        redrive = t.prop_at((*edge.settings, "RedrivePolicy"))
        if edge.sam_event:
            what = f"SNS event '{edge.path[-1]}' of function '{owner.logical_id}'"
        else:
            what = f"Subscription '{owner.logical_id}'"
        reported: set[tuple[str, Conditions]] = set()
        for (protocol, _), when in combine(protocols, t.absent_when(redrive)):
            if (protocol, when) in reported:
                continue
            reported.add((protocol, when))
            yield rule.hit(
                f"{what} ({protocol}) has no RedrivePolicy: messages SNS cannot deliver are "
                "discarded (at once on client errors, after the delivery retries on server "
                "errors)",
                Place(edge.path, key=True),
                owner.logical_id,
                when=when,
            )


LAMBDA_PRINCIPAL = "sns.amazonaws.com"


def _subscription_name(t: Template, edge: Edge) -> str:
    if t.resources[edge.owner].type == "AWS::SNS::Topic":
        return f"An inline subscription of topic '{edge.owner}'"
    return f"Subscription '{edge.owner}'"


def sns_lambda_permission_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    grants = Grants(m)
    for edge in m.graph.of_kind(INVOKES):
        if edge.origin != "sns" or edge.sam_event or edge.target not in t.resources:
            continue
        function = edge.target
        for when in grants.missing_when(function, "function", LAMBDA_PRINCIPAL,
                                        edge.conditions, edge.source):
            topic = f"!Ref {edge.source}" if edge.source else "the topic's ARN"
            yield rule.hit(
                f"{_subscription_name(t, edge)} delivers to function '{function}', but no "
                f"AWS::Lambda::Permission lets {LAMBDA_PRINCIPAL} invoke it for this topic: "
                "every delivery fails and the message is discarded (or sent to the "
                "subscription's dead-letter queue). Add an AWS::Lambda::Permission with Action "
                f"lambda:InvokeFunction, FunctionName {function_name(function, edge.qualifier)}, "
                f"Principal {LAMBDA_PRINCIPAL} and SourceArn {topic}",
                Place((*edge.settings, "Endpoint")),
                edge.owner,
                [*at_resource(m, function, "the function"),
                 *at_resource(m, edge.source, "the topic")],
                when,
            )


def _queue_policy_fix(queue: str, principal: str, source: str) -> str:
    return (f"Add an AWS::SQS::QueuePolicy with Queues [!Ref {queue}] and a statement that "
            f"allows Principal {{Service: {principal}}} the Action sqs:SendMessage on Resource "
            f"!GetAtt {queue}.Arn, with Condition ArnEquals aws:SourceArn {source}")


def _unpermitted_queues(m: Model, grants: Grants, edges: Iterator[Edge], principal: str,
                        topics: dict[Path, str | None]) -> Iterator[tuple[Edge, str, Conditions]]:
    """(edge, queue, when) for each edge into a queue of this template that `principal` may
    not send to from the edge's topic."""
    t = m.template
    for edge in edges:
        queue = t.resources.get(edge.target) if edge.target else None
        if queue is None or queue.type != QUEUE:
            continue
        topic = edge.source if edge.kind == SUBSCRIBES else topics.get(_settings_of(edge))
        for when in grants.missing_when(queue.logical_id, "queue", principal, edge.conditions,
                                        topic):
            yield edge, queue.logical_id, when


def sns_queue_policy_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    grants = Grants(m)
    # a subscription's settings -> its topic (a DLQ is declared in the settings' RedrivePolicy)
    topics = {edge.settings: edge.source for edge in m.graph.of_kind(SUBSCRIBES)}
    subscriptions = (e for e in m.graph.of_kind(SUBSCRIBES) if e.protocol == "sqs")
    for edge, queue, when in _unpermitted_queues(m, grants, subscriptions, LAMBDA_PRINCIPAL,
                                                 topics):
        topic = f"!Ref {edge.source}" if edge.source else "the topic's ARN"
        endpoint = (*edge.settings, "Endpoint")
        yield rule.hit(
            f"{_subscription_name(t, edge)} delivers to queue '{queue}', but no queue policy "
            f"lets {LAMBDA_PRINCIPAL} send to it for this topic: every delivery fails and the "
            "messages are "
            f"discarded. {_queue_policy_fix(queue, LAMBDA_PRINCIPAL, topic)}",
            Place(endpoint) if t.prop_at(endpoint) is not None else Place(edge.path, key=True),
            edge.owner,
            [*at_resource(m, queue, "the queue"), *at_resource(m, edge.source, "the topic")],
            when,
        )
    dead_letters = (e for e in m.graph.of_kind(DEAD_LETTERS) if e.role == SUBSCRIPTION_DLQ)
    for edge, queue, when in _unpermitted_queues(m, grants, dead_letters, LAMBDA_PRINCIPAL,
                                                 topics):
        settings = _settings_of(edge)
        topic = f"!Ref {topics[settings]}" if topics.get(settings) else "the topic's ARN"
        yield rule.hit(
            f"The dead-letter queue '{queue}' of {_dead_letter_owner(t, edge)} has no queue "
            f"policy that lets {LAMBDA_PRINCIPAL} send to it for this topic: messages SNS "
            "cannot deliver are "
            f"lost instead of kept. {_queue_policy_fix(queue, LAMBDA_PRINCIPAL, topic)}",
            _at_dead_letter_arn(t, edge),
            edge.owner,
            at_resource(m, queue, "the dead-letter queue"),
            when,
        )


def _at_dead_letter_arn(t: Template, edge: Edge) -> Place:
    """The `deadLetterTargetArn` of a RedrivePolicy written as a mapping, else the policy."""
    arn = (*edge.path, "deadLetterTargetArn")
    return Place(arn) if t.prop_at(arn) is not None else Place(edge.path)


def _settings_of(edge: Edge) -> Path:
    """The settings of the subscription a dead-letter edge is declared in (its RedrivePolicy's
    parent)."""
    return edge.path[:edge.path.index("RedrivePolicy")] if "RedrivePolicy" in edge.path \
        else edge.path


def _dead_letter_owner(t: Template, edge: Edge) -> str:
    if t.resources[edge.owner].type == "AWS::SNS::Subscription":
        return f"subscription '{edge.owner}'"
    event = edge.path[edge.path.index("Events") + 1] if "Events" in edge.path else "?"
    return f"SNS event '{event}' of function '{edge.owner}'"


# What AWS documents FIFO topics cannot deliver to: functions (only through a queue) and the
# customer managed endpoints. (Firehose is left out: not documented either way.)
FIFO_UNSUPPORTED = frozenset({"lambda", "http", "https", "email", "email-json", "sms",
                              "application"})


def _fifo_when(t: Template, topic_id: str | None) -> list[Conditions]:
    topic = t.resources.get(topic_id) if topic_id else None
    if topic is None or topic.type != "AWS::SNS::Topic":
        return []
    return [b.conditions for b in t.branches(topic.properties.get("FifoTopic"))
            if str(b.value).lower() == "true"]


def fifo_topic_unsupported_subscriber(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for edge in m.graph.of_kind(SUBSCRIBES):
        fifo = [Branch(None, when) for when in _fifo_when(t, edge.source)]
        protocols = [b for b in _protocols(t, edge)
                     if isinstance(b.value, str) and b.value in FIFO_UNSUPPORTED]
        for (protocol, _, _), when in combine(protocols, fifo, [Branch(None, edge.conditions)]):
            written = (*edge.settings, "Protocol")
            place = Place(edge.path, key=True) if edge.sam_event or t.prop_at(written) is None \
                else Place(written)
            what = (f"SNS event '{edge.path[-1]}' of function '{edge.owner}'" if edge.sam_event
                    else _subscription_name(t, edge))
            yield rule.hit(
                f"{what} subscribes protocol {protocol} to FIFO topic "
                f"'{edge.source}', which delivers only to SQS queues: the subscription fails and "
                "the stack rolls back. Subscribe an SQS queue (FIFO to keep the order) and "
                + ("let the function poll it (SqsSubscription: true)" if edge.sam_event
                   else "consume it from there"),
                place,
                edge.owner,
                at_resource(m, edge.source, "the FIFO topic"),
                when,
            )


def topic_without_kms(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for topic in t.of_type("AWS::SNS::Topic"):
        for branch in within(t.absent_when(t.prop(topic, "KmsMasterKeyId")), topic.conditions):
            yield rule.hit(
                f"Topic '{topic.logical_id}' has no KmsMasterKeyId: its messages are stored "
                "unencrypted at rest. Set KmsMasterKeyId: alias/aws/sns, or a customer managed "
                "key whose key policy lets the AWS services that publish to the topic use it",
                Place(topic.path, key=True),
                topic.logical_id,
                when=branch.conditions,
            )
