"""awslint-rules' SAM model against AWS's own SAM translator (aws-sam-translator, test-only).

For every SAM template in the corpus folders below that the translator accepts (translated
offline by tests/sam_translate.py, once per module):

1. count: `expand_count` (what EA0010/WA0011 count) equals the number of resources in the
   translator's output;
2. graph: every function event of the types in GRAPH_EVENT_TYPES has the invokes edge (source,
   mode) and the permits edges (principal, target) that the translator's generated resources show:
   the event source mapping's EventSourceArn, the subscription's TopicArn, the rule's event bus,
   the subscription filter's log group, the bucket/user pool wired to the function, the
   Lambda permission's principal and SourceArn, the queue policy of an SNS SqsSubscription.

Every mismatch must be listed, with its reason, in KNOWN_DIFFERENCES / KNOWN_GRAPH_DIFFERENCES,
and every listed one must still mismatch (so the lists shrink as the model improves).

Measured with aws-sam-translator 1.115.0 (run `pytest -s` to print the rates):
  count: sam-translator-input 536/536, serverless-patterns 507/507 (templates the translator
    accepts; duplicate keys are EA0004 findings, not parse errors, so none is left out).
  graph: every type 100 % except Api (KNOWN_GRAPH_DIFFERENCES); disabled rule and schedule events
    deliver nothing, so the graph has no edge for them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from awslint_rules.graph import INVOKES, PERMITS, SUBSCRIBES, build_graph
from awslint_rules.load import NotATemplate, ParseError, load_document
from awslint_rules.sam_expansion import expand_count
from awslint_rules.template import Template

from .conftest import CORPUS
from .sam_translate import is_sam, load_template, translate

pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed (test extra)")

FOLDERS = ("sam-translator-input", "serverless-patterns")
pytestmark = [
    pytest.mark.slow,  # the real SAM translator over the corpus: about 20-30 s
    pytest.mark.skipif(
        not all((CORPUS / folder).is_dir() for folder in FOLDERS),
        reason=f"the SAM corpus ({', '.join(FOLDERS)}) is not in {CORPUS}",
    ),
]
MIN_MATCH_RATE = 0.98

# file name -> why awslint-rules' count differs from the translator's.
KNOWN_DIFFERENCES: dict[str, str] = {}

# "file name::Function.Event" -> why the graph differs from the translator's wiring.
_REPLACED_FUNCTION = (
    "the template declares a Function named ServerlessRestApi; SAM's implicit REST API replaces "
    "it and takes the events, the graph keeps the function and leaves the implicit API unnamed"
)
KNOWN_GRAPH_DIFFERENCES: dict[str, str] = {
    f"tests__translator__input__implicit_api_with_serverless_rest_api_resource.yaml::{event}":
        _REPLACED_FUNCTION
    for event in (
        "RestApiFunction.AddItem", "RestApiFunction.CompleteItem", "RestApiFunction.GetList",
        "GetHtmlFunction.GetHtml",
    )
}  # fmt: skip

GRAPH_EVENT_TYPES = frozenset({
    "SQS", "Kinesis", "DynamoDB", "MSK", "MQ", "SelfManagedKafka", "DocumentDB", "S3", "SNS",
    "Schedule", "ScheduleV2", "CloudWatchEvent", "EventBridgeRule", "CloudWatchLogs", "IoTRule",
    "Api", "HttpApi", "AlexaSkill", "Cognito",
})  # fmt: skip
SYNC_TYPES = frozenset({"Api", "HttpApi", "AlexaSkill", "Cognito"})


UNPARSED: list[str] = []  # translated, but a parse error for awslint-rules: not compared


@dataclass
class Case:
    folder: str
    name: str
    template: Template  # awslint-rules' view of the input
    output: dict[str, Any]  # the translator's CloudFormation


def _cases() -> Iterator[tuple[str, str, Path]]:
    for folder in FOLDERS:
        for path in sorted((CORPUS / folder).iterdir()):
            if path.is_file():
                yield folder, path.name, path


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    """Every SAM template of FOLDERS that both awslint-rules and the translator accept."""
    found = []
    for folder, name, path in _cases():
        try:
            source = load_template(path)
        except Exception:  # not YAML/JSON the reference loader reads
            continue
        if not is_sam(source):
            continue
        try:
            output = translate(source)
        except Exception:  # the translator rejects it: not a deployable template
            continue
        try:
            template = Template(load_document(str(path), path.read_bytes()))
        except NotATemplate:
            pytest.fail(f"{name}: the translator accepts it, awslint-rules skips it")
        except ParseError:  # a template the linter cannot parse: left out
            UNPARSED.append(name)
            continue
        found.append(Case(folder, name, template, output))
    return found


# -- 1. resource count ---------------------------------------------------------------------------


def test_count_matches_translator(cases: list[Case]) -> None:
    totals: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    mismatches: dict[str, str] = {}
    for case in cases:
        data = case.template.document.data
        ours = expand_count(data.get("Resources"), data.get("Globals"), case.template.parameters)
        theirs = len(case.output["Resources"])
        totals[case.folder] += 1
        if ours.expanded == theirs:
            matched[case.folder] += 1
        else:
            mismatches[case.name] = f"ours {ours.expanded}, translator {theirs}"
    rates = {f: f"{matched[f]}/{totals[f]}" for f in FOLDERS}
    print(f"\nSAM expansion count vs translator: {rates} ({len(UNPARSED)} parse errors left out)")
    assert all(totals[f] > 0 for f in FOLDERS), rates
    unexplained = [f"{k}: {v}" for k, v in mismatches.items() if k not in KNOWN_DIFFERENCES]
    assert not unexplained, f"count differs from the translator ({rates}):\n" + "\n".join(
        unexplained
    )
    stale = sorted(set(KNOWN_DIFFERENCES) - set(mismatches))
    assert not stale, f"listed in KNOWN_DIFFERENCES but now equal (remove them): {stale}"
    for folder in FOLDERS:
        assert matched[folder] >= MIN_MATCH_RATE * totals[folder], rates


# -- 2. graph: the wiring of each function event ------------------------------------------------


def _names(value: Any) -> list[str]:
    """Logical ids and parameters a value refers to (Ref, GetAtt, ${X} / ${X.Arn} in Sub)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.append(inner)
            elif key == "Fn::GetAtt":
                parts = inner.split(".", 1) if isinstance(inner, str) else inner
                if isinstance(parts, list) and parts and isinstance(parts[0], str):
                    found.append(parts[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    found += [m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)]
                if isinstance(inner, list) and len(inner) > 1:
                    found += _names(inner[1])
            else:
                found += _names(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _names(inner)
    return found


UNNAMED = "unnamed"  # the translator's output names no source for the event


@dataclass(frozen=True)
class Wiring:
    mode: str
    sources: frozenset[str | None] | str  # acceptable source logical ids, or UNNAMED
    permits: frozenset[tuple[str | None, str]]  # (target, principal)
    topic: str | None = None  # SNS: the topic subscribed to


class Output:
    """Index of one translator output: which generated resources belong to which event."""

    def __init__(self, case: Case) -> None:
        self.declared = set(case.template.resources)
        self.resources: dict[str, dict[str, Any]] = case.output["Resources"]
        self.function_of: dict[str, str] = {}  # function, its aliases and versions -> function
        for logical_id, body in self.resources.items():
            if body.get("Type") == "AWS::Lambda::Function":
                self.function_of[logical_id] = logical_id
        for logical_id, body in self.resources.items():
            if body.get("Type") in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
                for name in _names(body.get("Properties", {}).get("FunctionName")):
                    if name in self.function_of:
                        self.function_of[logical_id] = name
        events = [
            (function, event)
            for function, resource in case.template.resources.items()
            if resource.type == "AWS::Serverless::Function"
            for event in (resource.properties.get("Events") or {})
        ]
        self.owned: dict[tuple[str, str], list[str]] = defaultdict(list)
        prefixes = sorted(events, key=lambda fe: -len(fe[0] + fe[1]))
        for logical_id in self.resources:
            if logical_id in self.declared:
                continue
            owner = next((fe for fe in prefixes if logical_id.startswith(fe[0] + fe[1])), None)
            if owner is not None:
                self.owned[owner].append(logical_id)

    def source(self, names: list[str]) -> str | None:
        """The declared resource named first; None when the named thing is generated/external."""
        return next((name for name in names if name in self.declared), None)

    def targets(self, raw: Any, function: str) -> bool:
        return any(self.function_of.get(name) == function for name in _names(raw))

    def wiring(self, function: str, event: str, kind: str, props: dict[str, Any]) -> Wiring:
        owned = [(i, self.resources[i]) for i in self.owned.get((function, event), [])]
        sqs = props.get("SqsSubscription") if kind == "SNS" else None
        policy = sqs.get("QueuePolicyLogicalId") if isinstance(sqs, dict) else None
        if policy in self.resources:  # SNS SqsSubscription: the queue policy named by the user
            owned.append((policy, self.resources[policy]))
        if kind == "Cognito":  # one permission per function, for all its Cognito events
            shared = f"{function}CognitoPermission"
            owned += [(shared, self.resources[shared])] if shared in self.resources else []
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _, body in owned:
            by_type[body.get("Type", "")].append(body.get("Properties") or {})
        permits = set()
        for props in by_type["AWS::Lambda::Permission"]:
            principal = props.get("Principal")
            permits.add((function, principal if isinstance(principal, str) else repr(principal)))
        for props in by_type["AWS::SQS::QueuePolicy"]:  # SNS SqsSubscription: topic -> queue
            for statement in props["PolicyDocument"]["Statement"]:
                principal = statement["Principal"]
                if isinstance(principal, dict) and "Service" in principal:
                    principal = principal["Service"]
                if principal == "*" and "aws:SourceArn" in str(statement.get("Condition")):
                    principal = "sns.amazonaws.com"  # "*" from this topic ARN only: SNS
                for queue in props["Queues"]:
                    permits.add((self.source(_names(queue)), str(principal)))
        mode = "sync" if kind in SYNC_TYPES else "async"
        sources: frozenset[str | None] | str = UNNAMED
        if by_type["AWS::Lambda::EventSourceMapping"]:
            mode = "poll"
            arns = [p.get("EventSourceArn") for p in by_type["AWS::Lambda::EventSourceMapping"]]
            sources = frozenset({self.source(_names(arns))})
        topics = [p.get("TopicArn") for p in by_type["AWS::SNS::Subscription"]]
        topic = self.source(_names(topics))
        if by_type["AWS::Lambda::EventSourceMapping"]:
            pass
        elif topics:
            sources = frozenset({topic})
        elif by_type["AWS::Events::Rule"]:  # the rule is generated: the source is its bus
            buses = [p.get("EventBusName") for p in by_type["AWS::Events::Rule"]]
            sources = frozenset({self.source(_names(buses))})
        elif by_type["AWS::Logs::SubscriptionFilter"]:
            groups = [p.get("LogGroupName") for p in by_type["AWS::Logs::SubscriptionFilter"]]
            sources = frozenset({self.source(_names(groups))})
        elif kind in ("S3", "Cognito"):  # SAM edits the declared bucket / user pool
            sources = frozenset(self._wired_to(function, kind))
        elif by_type["AWS::Lambda::Permission"]:
            arns = [p.get("SourceArn") for p in by_type["AWS::Lambda::Permission"]]
            sources = frozenset({self.source(_names(arns))})
        elif owned:  # a generated schedule or topic rule
            sources = frozenset({None})
        return Wiring(mode, sources, frozenset(permits), topic)

    def _wired_to(self, function: str, kind: str) -> set[str | None]:
        found: set[str | None] = set()
        for logical_id, body in self.resources.items():
            props = body.get("Properties") or {}
            wiring = {"S3": ("AWS::S3::Bucket", "NotificationConfiguration"),
                      "Cognito": ("AWS::Cognito::UserPool", "LambdaConfig")}[kind]
            if body.get("Type") == wiring[0] and self.targets(props.get(wiring[1]), function):
                found.add(logical_id)
        return found or {None}


def _disabled(template: Template, kind: str, props: dict) -> bool:
    """A SAM rule or schedule event with `Enabled: false` or `State: DISABLED` (resolved)."""
    if kind not in ("Schedule", "ScheduleV2", "CloudWatchEvent", "EventBridgeRule"):
        return False
    enabled = template.resolver.one(props.get("Enabled"))
    state = template.resolver.one(props.get("State"))
    return enabled in (False, "false") or str(state).upper() == "DISABLED"


def _ours(template: Template, function: str, event: str) -> Wiring | str:
    path = ("Resources", function, "Properties", "Events", event)
    edges = [e for e in build_graph(template).edges if e.path == path]
    invokes = [e for e in edges if e.kind == INVOKES and e.target == function]
    if len(invokes) != 1:
        return f"{len(invokes)} invokes edges"
    permits = frozenset((e.target, e.principal) for e in edges if e.kind == PERMITS)
    topics = [e.source for e in edges if e.kind == SUBSCRIBES]
    return Wiring(str(invokes[0].mode), frozenset({invokes[0].source}), permits,
                  topics[0] if topics else None)


def _compare(ours: Wiring | str, theirs: Wiring) -> str | None:
    if isinstance(ours, str):
        return ours
    problems = []
    if ours.mode != theirs.mode:
        problems.append(f"mode {ours.mode}, translator {theirs.mode}")
    if theirs.sources != UNNAMED and not (ours.sources <= theirs.sources):  # type: ignore[operator]
        problems.append(f"source {sorted(ours.sources, key=str)}, translator "
                        f"{sorted(theirs.sources, key=str)}")
    if ours.permits != theirs.permits:
        problems.append(f"permits {sorted(ours.permits, key=str)}, translator "
                        f"{sorted(theirs.permits, key=str)}")
    if ours.topic != theirs.topic:
        problems.append(f"topic {ours.topic}, translator {theirs.topic}")
    return "; ".join(problems) or None


def test_graph_matches_translator(cases: list[Case]) -> None:
    totals: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    mismatches: dict[str, str] = {}
    for case in cases:
        output = Output(case)
        for function, resource in case.template.resources.items():
            events = resource.properties.get("Events")
            if resource.type != "AWS::Serverless::Function" or not isinstance(events, dict):
                continue
            for event, body in events.items():
                kind = body.get("Type") if isinstance(body, dict) else None
                if kind not in GRAPH_EVENT_TYPES:
                    continue
                totals[kind] += 1
                props = body.get("Properties")
                props = props if isinstance(props, dict) else {}
                if _disabled(case.template, kind, props):  # the rule delivers nothing: no edge
                    ours = _ours(case.template, function, event)
                    problem = None if ours == "0 invokes edges" else f"disabled, yet {ours}"
                else:
                    theirs = output.wiring(function, event, kind, props)
                    problem = _compare(_ours(case.template, function, event), theirs)
                if problem is None:
                    matched[kind] += 1
                else:
                    mismatches[f"{case.name}::{function}.{event}"] = f"{kind}: {problem}"
    rates = {kind: f"{matched[kind]}/{totals[kind]}" for kind in sorted(totals)}
    print(f"\nSAM event wiring vs translator: {rates}")
    unexplained = [f"{k}: {v}" for k, v in mismatches.items() if k not in KNOWN_GRAPH_DIFFERENCES]
    assert not unexplained, f"graph differs from the translator ({rates}):\n" + "\n".join(
        unexplained
    )
    stale = sorted(set(KNOWN_GRAPH_DIFFERENCES) - set(mismatches))
    assert not stale, f"listed in KNOWN_GRAPH_DIFFERENCES but now equal (remove them): {stale}"
    assert sum(matched.values()) >= MIN_MATCH_RATE * sum(totals.values()), rates
