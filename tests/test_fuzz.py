"""Property-based fuzzing: generated templates never crash the engine, a rule, the graph or SAM.

"Never crashes" is checked without the engine's per-rule guard: a generated template must not
produce an EA0001 finding either (the guard turns a rule's exception into one; that is a bug to
fix where it happens). The intrinsic resolver, graph building and `sam_expansion.expand_count`
are also driven directly.

Profiles: `ci` (the default; about 3,000 examples over this file, derandomized) and `long`
(selected with AWSLINT_FUZZ_PROFILE=long; `make fuzz` runs it).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from awslint_rules.catalog import load_catalog
from awslint_rules.engine import INTERNAL_ERROR, Settings, lint_bytes
from awslint_rules.intrinsics import Branch, Resolver
from awslint_rules.load import Document
from awslint_rules.model import build_model
from awslint_rules.sam import EVENT_TYPES
from awslint_rules.sam_expansion import expand_count
from awslint_rules.template import Template

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.filter_too_much],
    "print_blob": True,
}
hsettings.register_profile("ci", max_examples=500, derandomize=True, **_COMMON)
hsettings.register_profile("long", max_examples=20_000, **_COMMON)
PROFILE = os.environ.get("AWSLINT_FUZZ_PROFILE", "ci")
FUZZ = hsettings.get_profile(PROFILE)
FUZZ_SMALL = hsettings(FUZZ, max_examples=max(1, FUZZ.max_examples // 2))

# -- strategies -----------------------------------------------------------------------------------

LOGICAL_IDS = ("Fn", "Queue", "Dlq", "Topic", "Api", "Mapping", "Rule", "Bucket", "Stream",
               "Table", "Alias", "Missing")
CONDITIONS = ("IsProd", "UseDlq", "Missing")
PARAMETERS = ("Stage", "Timeout", "Arn")

RESOURCE_TYPES = (
    "AWS::Serverless::Function", "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig", "AWS::Lambda::Permission", "AWS::Lambda::Alias",
    "AWS::Lambda::Version", "AWS::Serverless::Api", "AWS::Serverless::HttpApi",
    "AWS::Serverless::StateMachine", "AWS::Serverless::SimpleTable",
    "AWS::Serverless::LayerVersion", "AWS::Serverless::Application", "AWS::Serverless::Connector",
    "AWS::Serverless::GraphQLApi", "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api",
    "AWS::ApiGateway::Method", "AWS::ApiGatewayV2::Integration", "AWS::S3::Bucket",
    "AWS::SNS::Subscription", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "AWS::Events::Rule",
    "AWS::Scheduler::Schedule", "AWS::Logs::SubscriptionFilter", "AWS::IoT::TopicRule",
    "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::Cognito::UserPool", "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy", "AWS::Kinesis::Stream", "AWS::DynamoDB::Table",
    "AWS::CloudFormation::Stack", "AWS::EC2::Instance", "Custom::Thing", "AWS::Nope",
)
PROPERTY_NAMES = (
    "FunctionName", "EventSourceArn", "Timeout", "MemorySize", "VisibilityTimeout",
    "MessageRetentionPeriod", "RedrivePolicy", "RedriveAllowPolicy", "DeadLetterConfig",
    "DeadLetterQueue", "DestinationConfig", "EventInvokeConfig", "Events", "Principal",
    "DefinitionBody", "Body", "ProtocolType", "Integration", "IntegrationUri", "ApiId",
    "RestApiId", "NotificationConfiguration", "Protocol", "Endpoint", "TopicArn", "Subscription",
    "Targets", "Target", "DestinationArn", "LogGroupName", "TopicRulePayload", "TargetType",
    "LambdaConfig", "PolicyDocument", "Queues", "Topics", "Name", "FifoQueue",
    "MaximumRetryAttempts", "BisectBatchOnFunctionError", "MaximumBatchingWindowInSeconds",
    "StartingPosition", "SelfManagedEventSource", "Auth", "Domain", "AutoPublishAlias",
    "DeploymentPreference", "FunctionUrlConfig", "Role", "Policies", "Connectors", "Handler",
)
EVENT_FIELDS = (
    "Queue", "Stream", "Topic", "Bucket", "RestApiId", "ApiId", "UserPool", "EventBusName",
    "Broker", "Cluster", "LogGroupName", "Path", "Method", "Schedule", "Pattern", "Target",
    "SqsSubscription", "RedrivePolicy", "DeadLetterConfig", "DestinationConfig",
    "MaximumRetryAttempts", "BisectBatchOnFunctionError", "StartingPosition",
    "MaximumBatchingWindowInSeconds", "BatchSize", "Enabled", "Auth", "RetryPolicy", "State",
    "FilterCriteria", "Events",
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(("", "0", "30", "1.5", "900", "true", "false", "lambda", "sqs", "HTTP",
                     "AWS", "AWS_PROXY", "arn:aws:sqs:us-east-1:123456789012:q",
                     "arn:aws:lambda:us-east-1:1:function:f", '{"deadLetterTargetArn": 1}',
                     '{"deadLetterTargetArn": "${Dlq.Arn}"}', "[", "${", "${Fn}", "${Fn.Arn}",
                     "${!Literal}", "${Missing}", "${Stage}", ".", "Fn.Arn", "*", "$..x")),
    st.sampled_from(LOGICAL_IDS),
)
names = st.one_of(st.sampled_from(LOGICAL_IDS + PARAMETERS + ("AWS::NoValue", "AWS::Region")),
                  st.text(max_size=6))


def intrinsic(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Intrinsic functions with right and wrong arity and argument types."""
    any_args = st.one_of(children, st.lists(children, max_size=5))
    return st.one_of(
        st.builds(lambda n: {"Ref": n}, st.one_of(names, children)),
        st.builds(lambda a: {"Fn::GetAtt": a}, st.one_of(
            st.lists(st.one_of(names, children), max_size=3),
            st.builds(lambda n, a: f"{n}.{a}", names, st.sampled_from(("Arn", "Alias", ""))),
            children,
        )),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]},
                  st.one_of(st.sampled_from(CONDITIONS), children), children, children),
        st.builds(lambda a: {"Fn::If": a}, any_args),
        st.builds(lambda s: {"Fn::Sub": s}, st.one_of(
            st.text(alphabet="${}!.:/aFnQueArtg", max_size=20), any_args,
            st.builds(lambda s, v: [s, v], st.text(max_size=10),
                      st.dictionaries(names, children, max_size=3)))),
        st.builds(lambda d, p: {"Fn::Join": [d, p]}, st.one_of(st.text(max_size=2), children),
                  any_args),
        st.builds(lambda a: {"Fn::FindInMap": a}, st.lists(st.one_of(names, children),
                                                              max_size=5)),
        st.builds(lambda i, p: {"Fn::Select": [i, p]}, st.one_of(
            st.integers(-2, 5), st.sampled_from(("0", "1", "x")), children), any_args),
        st.builds(lambda d, s: {"Fn::Split": [d, s]}, children, children),
        st.builds(lambda name, a: {name: a}, st.sampled_from(
            ("Ref", "Fn::GetAtt", "Fn::If", "Fn::Sub", "Fn::Join", "Fn::FindInMap", "Fn::Select",
             "Fn::Split", "Fn::Equals", "Fn::Not", "Fn::Base64", "Fn::ImportValue", "Condition",
             "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::Nope")), any_args),
    )


values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(PROPERTY_NAMES + EVENT_FIELDS), st.text(
            max_size=6)), children, max_size=4),
        intrinsic(children),
    ),
    max_leaves=25,
)


def nested_if(depth: int) -> st.SearchStrategy[Any]:
    """`Fn::If` nested `depth` deep on both sides (past the resolver's depth and branch caps)."""
    if depth == 0:
        return values
    inner = nested_if(depth - 1)
    return st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, st.sampled_from(CONDITIONS), inner,
                     inner)


sam_events = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.one_of(
        st.fixed_dictionaries(
            {"Type": st.one_of(st.sampled_from(sorted(EVENT_TYPES)), values)},
            optional={"Properties": st.one_of(
                st.dictionaries(st.sampled_from(EVENT_FIELDS), values, max_size=6), values)},
        ),
        values,
    ),
    max_size=4,
)

# The properties each builder and check reads, so that most examples reach rule code.
TYPE_PROPERTIES = {
    "AWS::Serverless::Function": ("Timeout", "MemorySize", "Events", "DeadLetterQueue",
                                  "EventInvokeConfig", "AutoPublishAlias",
                                  "DeploymentPreference", "FunctionUrlConfig", "Connectors"),
    "AWS::Lambda::Function": ("Timeout", "MemorySize", "DeadLetterConfig"),
    "AWS::Lambda::EventSourceMapping": (
        "FunctionName", "EventSourceArn", "DestinationConfig", "SelfManagedEventSource",
        "MaximumRetryAttempts", "MaximumBatchingWindowInSeconds", "BisectBatchOnFunctionError",
        "StartingPosition"),
    "AWS::Lambda::EventInvokeConfig": ("FunctionName", "DestinationConfig"),
    "AWS::Lambda::Permission": ("FunctionName", "Principal"),
    "AWS::Lambda::Alias": ("FunctionName", "Name"),
    "AWS::Lambda::Version": ("FunctionName",),
    "AWS::Serverless::Api": ("DefinitionBody", "Auth", "Domain"),
    "AWS::Serverless::HttpApi": ("DefinitionBody", "Auth", "Domain"),
    "AWS::Serverless::StateMachine": ("Events",),
    "AWS::ApiGateway::RestApi": ("Body",),
    "AWS::ApiGatewayV2::Api": ("Body", "ProtocolType"),
    "AWS::ApiGateway::Method": ("Integration", "RestApiId"),
    "AWS::ApiGatewayV2::Integration": ("ApiId", "IntegrationUri"),
    "AWS::S3::Bucket": ("NotificationConfiguration",),
    "AWS::SNS::Subscription": ("Protocol", "Endpoint", "TopicArn", "RedrivePolicy"),
    "AWS::SNS::Topic": ("Subscription",),
    "AWS::Events::Rule": ("Targets",),
    "AWS::Scheduler::Schedule": ("Target",),
    "AWS::Logs::SubscriptionFilter": ("DestinationArn", "LogGroupName"),
    "AWS::IoT::TopicRule": ("TopicRulePayload",),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ("TargetType", "Targets"),
    "AWS::Cognito::UserPool": ("LambdaConfig",),
    "AWS::SQS::Queue": ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy",
                        "FifoQueue"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
}
# Shapes the builders look into, filled with generated values.
refs = st.sampled_from(LOGICAL_IDS).flatmap(lambda n: st.sampled_from(
    ({"Ref": n}, {"Fn::GetAtt": [n, "Arn"]}, {"Fn::Sub": "${" + n + ".Arn}"},
     {"Fn::GetAtt": f"{n}.Arn"},
     {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:1:function:${" + n + "}"},
     {"Fn::Join": ["", ["arn:aws:sqs:us-east-1:1:", {"Ref": n}]]})))
pointer = st.one_of(refs, values)
shaped = st.one_of(
    st.fixed_dictionaries({}, optional={"OnFailure": st.one_of(
        st.fixed_dictionaries({}, optional={"Destination": pointer}), values)}).map(
            lambda d: d),
    st.fixed_dictionaries({}, optional={"TargetArn": pointer, "Arn": pointer,
                                        "deadLetterTargetArn": pointer}),
    st.lists(st.fixed_dictionaries({}, optional={
        "Arn": pointer, "Id": pointer, "Function": pointer, "Protocol": values,
        "Endpoint": pointer, "DeadLetterConfig": st.one_of(
            st.fixed_dictionaries({}, optional={"Arn": pointer}), values),
        "Lambda": st.fixed_dictionaries({}, optional={"FunctionArn": pointer})}), max_size=3),
    st.fixed_dictionaries({}, optional={"paths": st.dictionaries(
        st.text(max_size=4), st.dictionaries(st.sampled_from(("get", "post", "x")), st.one_of(
            st.fixed_dictionaries({}, optional={"x-amazon-apigateway-integration": st.one_of(
                st.fixed_dictionaries({}, optional={"uri": pointer}), values)}), values),
            max_size=2), max_size=2)}),
    st.fixed_dictionaries({}, optional={"Statement": st.one_of(st.lists(
        st.fixed_dictionaries({}, optional={"Effect": st.sampled_from(("Allow", "Deny")),
                                            "Principal": st.one_of(st.fixed_dictionaries(
                                                {}, optional={"Service": values}), values)})),
        values)}),
)
property_value = st.one_of(values, pointer, shaped, nested_if(3),
                           st.sampled_from((30, 900, "60", 5, 1e999)))


@st.composite
def resource(draw: Any) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(values)  # not a mapping at all
    kind = draw(st.one_of(st.sampled_from(RESOURCE_TYPES), values)
                if draw(st.integers(0, 9)) == 0 else st.sampled_from(RESOURCE_TYPES))
    body: dict[str, Any] = {"Type": kind}
    if draw(st.integers(0, 9)) == 0:
        body["Properties"] = draw(values)
    else:
        own = TYPE_PROPERTIES.get(kind, ()) if isinstance(kind, str) else ()
        keys = st.sampled_from(own) if own and draw(st.integers(0, 3)) else st.sampled_from(
            PROPERTY_NAMES)
        props = draw(st.dictionaries(keys, property_value, max_size=6))
        if "Events" in props or draw(st.integers(0, 3)) == 0:
            props["Events"] = draw(st.one_of(sam_events, sam_events, values))
        body["Properties"] = props
    for attribute in ("Condition", "DependsOn", "Connectors", "Metadata"):
        if draw(st.integers(0, 7)) == 0:
            body[attribute] = draw(suppression_metadata if attribute == "Metadata" else values)
    return body


suppression_metadata = st.one_of(
    st.fixed_dictionaries({}, optional={
        "awslint-rules": st.one_of(st.fixed_dictionaries({}, optional={"ignore": st.one_of(
            st.lists(st.one_of(st.fixed_dictionaries({}, optional={
                "rule": st.one_of(st.sampled_from(("WA3002", "WA", "EA0001", "XX9", "")), values),
                "reason": values}), values), max_size=3),
            st.dictionaries(st.sampled_from(("WA3002", "IA3004", "bad")), values, max_size=2),
            values)}), values),
        "cfn-lint": st.one_of(st.fixed_dictionaries({}, optional={"config": st.one_of(
            st.fixed_dictionaries({}, optional={"ignore_checks": st.one_of(
                st.lists(st.one_of(st.sampled_from(("WA3002", "E3001")), values), max_size=3),
                values)}), values)}), values),
    }),
    values,
)

templates = st.fixed_dictionaries(
    {"Resources": st.dictionaries(st.sampled_from(LOGICAL_IDS), resource(), min_size=1,
                                  max_size=7)},
    optional={
        "AWSTemplateFormatVersion": st.sampled_from(("2010-09-09",)),
        "Transform": st.one_of(st.just("AWS::Serverless-2016-10-31"), values),
        "Parameters": st.one_of(
            st.dictionaries(st.sampled_from(PARAMETERS), st.one_of(
                st.fixed_dictionaries({"Type": st.just("String")},
                                      optional={"Default": values}), values), max_size=3),
            values),
        "Mappings": st.one_of(st.dictionaries(st.text(max_size=3), values, max_size=3), values),
        "Conditions": st.one_of(st.dictionaries(st.sampled_from(CONDITIONS), values), values),
        "Globals": st.one_of(st.fixed_dictionaries({}, optional={
            "Function": st.one_of(st.dictionaries(st.sampled_from(PROPERTY_NAMES), values,
                                                  max_size=4), values),
            "Api": values, "HttpApi": values}), values),
        "Outputs": values,
        "Metadata": suppression_metadata,
    },
)
parameter_overrides = st.dictionaries(st.sampled_from(PARAMETERS), st.text(max_size=8),
                                      max_size=2)

# -- helpers --------------------------------------------------------------------------------------


def _serialize(template: dict[str, Any], as_json: bool) -> bytes:
    if as_json:
        return json.dumps(template, indent=1).encode()
    return yaml.safe_dump(template, sort_keys=False, allow_unicode=True).encode()


def _plain(value: Any) -> Any:
    """What the loader can produce: a YAML round trip of the generated value."""
    return yaml.safe_load(yaml.safe_dump(value))


def _internal(result: Any) -> list[str]:
    return [f.message for f in result.findings if f.rule == INTERNAL_ERROR]


def _strict(template: Template, settings: Any) -> None:
    """The graph and every rule without the engine's guard, so a failure shows its own
    traceback."""
    model = build_model(template)
    model.expansion  # noqa: B018 - counted here, outside any rule
    for rule_id, check in settings.checks.items():
        for hit in check(model, settings.rules[rule_id]):
            template.document.locate(hit.at.path, key=hit.at.key)


def _template(data: dict[str, Any], overrides: dict[str, str] | None = None) -> Template:
    return Template(Document("t.yaml", data, None), overrides or {})


_SETTINGS: list[Settings] = []


def _settings() -> Settings:
    """The whole catalog (not a fixture: hypothesis would print it with every failure)."""
    if not _SETTINGS:
        _SETTINGS.append(Settings(load_catalog()))
    return _SETTINGS[0]


# -- the properties -------------------------------------------------------------------------------


@FUZZ
@pytest.mark.slow
@given(template=templates, as_json=st.booleans(), overrides=parameter_overrides)
def test_generated_templates_never_crash_the_engine(template, as_json, overrides):
    settings = _settings()
    raw = _serialize(template, as_json)
    result = lint_bytes("t.json" if as_json else "t.yaml", raw,
                        Settings(settings.rules, overrides))
    if _internal(result):
        _strict(_template(_plain(template), overrides), settings)  # raise with the traceback
    assert _internal(result) == []


@FUZZ
@pytest.mark.slow
@given(template=templates)
def test_rules_graph_and_template_take_any_values_directly(template):
    """Without the loader in between: values the loader would never build still do not crash."""
    settings = _settings()
    _strict(_template(template), settings)


@FUZZ_SMALL
@pytest.mark.slow
@given(raw=values, depth=st.integers(0, 40), parameters=st.dictionaries(names, values),
       mappings=st.dictionaries(st.text(max_size=3), values))
def test_resolver_never_raises(raw, depth, parameters, mappings):
    resources = dict.fromkeys(LOGICAL_IDS[:-1])
    resolver = Resolver(resources, parameters, mappings)
    branches = resolver.resolve(raw, depth)
    assert branches and all(isinstance(b, Branch) for b in branches)
    resolver.one(raw)
    resolver.reference(raw)


@FUZZ_SMALL
@pytest.mark.slow
@given(depth=st.integers(1, 60), data=st.data())
def test_deeply_nested_if_is_capped(depth, data):
    settings = _settings()
    raw: Any = data.draw(values)
    for level in range(depth):
        raw = {"Fn::If": [CONDITIONS[level % 3], raw, {"Ref": "AWS::NoValue"}]}
    resolver = Resolver({"Fn": None}, {}, {})
    assert 1 <= len(resolver.resolve(raw)) <= 32
    template = {"Resources": {"Fn": {"Type": "AWS::Serverless::Function",
                                     "Properties": {"Timeout": raw, "Events": {
                                         "E": {"Type": "SQS", "Properties": {"Queue": raw}}}}},
                              "Queue": {"Type": "AWS::SQS::Queue",
                                        "Properties": {"VisibilityTimeout": raw}}}}
    result = lint_bytes("t.json", _serialize(template, True), settings)
    assert _internal(result) == []


@FUZZ_SMALL
@pytest.mark.slow
@given(events=sam_events, owner=st.sampled_from(("AWS::Serverless::Function",
                                                 "AWS::Serverless::StateMachine")),
       globals_=values)
def test_sam_events_with_missing_or_wrong_fields(events, owner, globals_):
    settings = _settings()
    template = {"Transform": "AWS::Serverless-2016-10-31", "Globals": {"Function": globals_},
                "Resources": {"Fn": {"Type": owner, "Properties": {"Events": events}},
                              "Queue": {"Type": "AWS::SQS::Queue"},
                              "Topic": {"Type": "AWS::SNS::Topic"}}}
    result = lint_bytes("t.yaml", _serialize(template, False), settings)
    if _internal(result):
        _strict(_template(_plain(template)), settings)
    assert _internal(result) == []
    expansion = expand_count(template["Resources"], template["Globals"])
    assert expansion.declared == len(template["Resources"])
    assert set(expansion.by_resource) == set(template["Resources"])
    assert all(count >= 1 for count in expansion.by_resource.values())  # no implicit-API names
    assert expansion.expanded == sum(expansion.by_resource.values()) >= expansion.declared


@FUZZ_SMALL
@pytest.mark.slow
@given(resources=st.one_of(st.dictionaries(st.sampled_from(LOGICAL_IDS), resource(), max_size=6),
                           values),
       globals_=values)
def test_expand_count_never_raises(resources, globals_):
    expansion = expand_count(resources, globals_)
    declared = resources if isinstance(resources, dict) else {}
    assert expansion.declared == len(declared)
    assert set(expansion.by_resource) == {str(k) for k in declared}
    # none of the drawn logical ids is an implicit API's, so each entry counts at least itself
    assert expansion.expanded == sum(expansion.by_resource.values()) >= expansion.declared
    assert not math.isnan(expansion.expanded)


@FUZZ_SMALL
@pytest.mark.slow
@given(ids=st.lists(st.sampled_from(LOGICAL_IDS), min_size=1, max_size=6, unique=True),
       data=st.data())
def test_circular_and_missing_references(ids, data):
    """Every resource points at the next one (and the last at the first, or at nothing)."""
    settings = _settings()
    resources = {}
    for index, logical_id in enumerate(ids):
        other = ids[(index + 1) % len(ids)] if data.draw(st.booleans()) else "Missing"
        kind = data.draw(st.sampled_from(("AWS::Lambda::Alias", "AWS::Lambda::Version",
                                          "AWS::Lambda::EventSourceMapping", "AWS::SQS::Queue",
                                          "AWS::Lambda::Permission")))
        ref = data.draw(st.sampled_from(({"Ref": other}, {"Fn::GetAtt": [other, "Arn"]},
                                         {"Fn::Sub": "${" + other + ".Arn}"})))
        resources[logical_id] = {"Type": kind, "DependsOn": other, "Properties": {
            "FunctionName": ref, "EventSourceArn": ref, "RedrivePolicy": {
                "deadLetterTargetArn": ref}}}
    parameters = {"Stage": {"Type": "String", "Default": {"Ref": "Stage"}}}
    template = {"Parameters": parameters, "Resources": resources}
    result = lint_bytes("t.json", _serialize(template, True), settings)
    assert _internal(result) == []


# -- regressions found by the fuzzers -------------------------------------------------------------

REGRESSIONS = {
    # apigateway.py: a ProtocolType that is no API kind (`S3`) was looked up in ENDPOINT_NAMES.
    "unknown api protocol": b"""Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: a, ProtocolType: S3}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: arn:aws:lambda:us-east-1:1:function:f
      TimeoutInMillis: 40000
""",
    # graph.py: `event.get("Type") in SAM_EVENTS` (now sam.EVENT_TYPES) hashed a mapping-valued
    # event Type.
    "sam event type is a mapping": b"""Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        E: {Type: {Ref: X}}
""",
    # checks/events.py: same membership test against SAM_EVENTBRIDGE_EVENTS (a frozenset).
    "eventbridge event type is a list": b"""Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::StateMachine
    Properties:
      Events:
        E: {Type: [Schedule]}
""",
    # checks/sns.py: a resolved Protocol that is a list was looked up in REDRIVE_PROTOCOLS.
    "subscription protocol is a list": b"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Sub:
    Type: AWS::SNS::Subscription
    Properties: {Protocol: [sqs], TopicArn: !Ref Topic, Endpoint: x}
""",
    # graph.py: an HTTP API's ProtocolType that is a mapping was a dict key.
    "api protocol type is a mapping": b"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: {a: b}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationUri: x}
""",
    # intrinsics.py: a Fn::FindInMap key that resolves to a list was a dict key.
    "find in map key is a list": b"""AWSTemplateFormatVersion: "2010-09-09"
Mappings: {M: {a: {b: 60}}}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: !FindInMap [M, [a], b]
      DeadLetterQueue: !FindInMap [[], Fn, Fn]
      Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}}
  Queue: {Type: AWS::SQS::Queue}
""",
}


def test_find_in_map_with_unhashable_keys():
    resolver = Resolver({}, {}, {"M": {"a": {"b": 1}}})
    assert resolver.resolve({"Fn::FindInMap": [["M"], {"x": 1}, "b"]})[0].value is not None


def test_get_att_with_an_unhashable_attribute():
    resolver = Resolver({"Fn": None}, {}, {})
    assert resolver.resolve({"Fn::GetAtt": ["Fn", {"Fn::Ref": "Name"}]})[0].value.logical_id == "Fn"


def test_fuzzer_regressions(settings):
    for name, raw in REGRESSIONS.items():
        result = lint_bytes("t.yaml", raw, settings)
        assert _internal(result) == [], name
        assert result.skipped is None, name
