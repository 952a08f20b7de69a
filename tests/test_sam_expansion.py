"""Tests for awslint_rules.sam_expansion.

Every expected count in CASES was confirmed by running the real AWS SAM translator
(aws-sam-translator 1.115.0, region us-east-1, offline) on the same template and counting the
Resources of its output. The tests themselves do not need samtranslator.
"""

from __future__ import annotations

from typing import Any

import pytest

from awslint_rules.sam_expansion import Expansion, expand_count

CODE = {
    "InlineCode": "def handler(e, c): pass",
    "Handler": "index.handler",
    "Runtime": "python3.12",
}


def fn(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {**CODE, **props}}


def event(kind: str, **props: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": props}


ROLE_ARN = "arn:aws:iam::123456789012:role/r"
TOPIC = {"Type": "AWS::SNS::Topic"}
QUEUE = {"Type": "AWS::SQS::Queue"}

# (name, Resources, Globals, expected expanded count) -- all confirmed with the SAM translator.
CASES: list[tuple[str, dict[str, Any], dict[str, Any] | None, int]] = [
    # function + role + permission; implicit ServerlessRestApi + Deployment + Prod stage
    (
        "api_event_implicit_api",
        {"F": fn(Events={"E": event("Api", Path="/", Method="get")})},
        None,
        6,
    ),
    # the implicit API is created once for all functions
    (
        "implicit_api_shared",
        {
            "F": fn(Events={"E": event("Api", Path="/a", Method="get")}),
            "G": fn(Events={"E": event("Api", Path="/b", Method="post")}),
        },
        None,
        9,
    ),
    # explicit API: RestApi + Deployment + Stage; function + role + permission
    (
        "api_event_explicit_api",
        {
            "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "prod"}},
            "F": fn(Events={"E": event("Api", Path="/", Method="get", RestApiId={"Ref": "Api"})}),
        },
        None,
        6,
    ),
    # Role given: no execution role; SQS event: one event source mapping
    (
        "role_given_sqs",
        {
            "Q": QUEUE,
            "F": fn(Role=ROLE_ARN, Events={"E": event("SQS", Queue={"Fn::GetAtt": ["Q", "Arn"]})}),
        },
        None,
        3,
    ),
    # Role: !If [cond, !Ref AWS::NoValue, arn] -> SAM adds a conditional role
    (
        "role_if_novalue",
        {"F": fn(Role={"Fn::If": ["C", {"Ref": "AWS::NoValue"}, ROLE_ARN]})},
        None,
        2,
    ),
    # AutoPublishAlias from Globals: function + role + Version + Alias
    ("autopublish_alias_globals", {"F": fn()}, {"Function": {"AutoPublishAlias": "live"}}, 4),
    # two functions with DeploymentPreference: 2 x (function, role, version, alias, group)
    # + one CodeDeploy application + one CodeDeploy service role shared by both
    (
        "deployment_preference_two_functions",
        {
            "F": fn(DeploymentPreference={"Type": "Linear10PercentEvery1Minute"}),
            "G": fn(DeploymentPreference={"Type": "AllAtOnce"}),
        },
        {"Function": {"AutoPublishAlias": "live"}},
        12,
    ),
    # DeploymentPreference with Enabled: false creates nothing
    (
        "deployment_preference_disabled",
        {
            "F": fn(
                AutoPublishAlias="live",
                DeploymentPreference={"Type": "AllAtOnce", "Enabled": False},
            )
        },
        None,
        4,
    ),
    # SNS + SqsSubscription: queue, queue policy, subscription, event source mapping
    (
        "sns_sqs_subscription",
        {"T": TOPIC, "F": fn(Events={"E": event("SNS", Topic={"Ref": "T"}, SqsSubscription=True)})},
        None,
        7,
    ),
    # plain SNS: permission + subscription
    ("sns_plain", {"T": TOPIC, "F": fn(Events={"E": event("SNS", Topic={"Ref": "T"})})}, None, 5),
    # Schedule: events rule + permission
    ("schedule", {"F": fn(Events={"E": event("Schedule", Schedule="rate(1 hour)")})}, None, 4),
    # Schedule with a DeadLetterConfig of Type SQS: + queue + queue policy
    (
        "schedule_dlq",
        {
            "F": fn(
                Events={
                    "E": event(
                        "Schedule", Schedule="rate(1 hour)", DeadLetterConfig={"Type": "SQS"}
                    )
                }
            )
        },
        None,
        6,
    ),
    # ScheduleV2: schedule + its role
    (
        "schedule_v2",
        {"F": fn(Events={"E": event("ScheduleV2", ScheduleExpression="rate(1 hour)")})},
        None,
        4,
    ),
    # HttpApi event without ApiId: permission + implicit ServerlessHttpApi + $default stage
    (
        "http_api_implicit",
        {"F": fn(Events={"E": event("HttpApi", Path="/", Method="get")})},
        None,
        5,
    ),
    # public function URL: Url + two permissions
    ("function_url_public", {"F": fn(FunctionUrlConfig={"AuthType": "NONE"})}, None, 5),
    # two Cognito triggers of one function share a single permission
    (
        "cognito_two_triggers",
        {
            "P": {"Type": "AWS::Cognito::UserPool"},
            "F": fn(
                Events={
                    "A": event("Cognito", UserPool={"Ref": "P"}, Trigger="PreSignUp"),
                    "B": event("Cognito", UserPool={"Ref": "P"}, Trigger="PostConfirmation"),
                }
            ),
        },
        None,
        4,
    ),
    # state machine + role; Schedule event: rule + role to start executions
    (
        "state_machine_schedule",
        {
            "S": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {
                    "Definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                    "Events": {"E": event("Schedule", Schedule="rate(1 hour)")},
                },
            }
        },
        None,
        4,
    ),
    # connector from a function to a queue: one IAM managed policy
    (
        "connector",
        {
            "Q": QUEUE,
            "F": fn(),
            "C": {
                "Type": "AWS::Serverless::Connector",
                "Properties": {
                    "Source": {"Id": "F"},
                    "Destination": {"Id": "Q"},
                    "Permissions": ["Write"],
                },
            },
        },
        None,
        4,
    ),
    # plain CloudFormation resources count one each
    (
        "plain_cfn",
        {"T": TOPIC, "Q": QUEUE, "B": {"Type": "AWS::S3::Bucket", "Properties": {}}},
        None,
        3,
    ),
    # simple table, layer
    (
        "simple_table_layer",
        {
            "T": {"Type": "AWS::Serverless::SimpleTable"},
            "L": {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {"ContentUri": "s3://b/k.zip"},
            },
        },
        None,
        2,
    ),
]


@pytest.mark.parametrize(
    ("resources", "globals_", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_expanded_count_matches_translator(
    resources: dict[str, Any], globals_: dict[str, Any] | None, expected: int
) -> None:
    result = expand_count(resources, globals_)
    assert result.declared == len(resources)
    assert result.expanded == expected
    assert sum(result.by_resource.values()) == result.expanded


def test_by_resource_attributes_shared_resources_to_first_user() -> None:
    resources = dict(CASES[[c[0] for c in CASES].index("deployment_preference_two_functions")][1])
    result = expand_count(resources, {"Function": {"AutoPublishAlias": "live"}})
    # F: function, role, version, alias, group + shared CodeDeploy application and role
    assert result.by_resource == {"F": 7, "G": 5}


def test_plain_resources_count_one_each() -> None:
    result = expand_count({"A": TOPIC, "B": QUEUE})
    assert result == Expansion(declared=2, expanded=2, by_resource={"A": 1, "B": 1})


def test_deployment_preference_role_skips_shared_codedeploy_role() -> None:
    preference = {"Type": "AllAtOnce", "Role": ROLE_ARN}
    result = expand_count({"F": fn(AutoPublishAlias="live", DeploymentPreference=preference)})
    assert result.expanded == 6  # function, role, version, alias, group, application


GARBAGE: list[Any] = [
    None,
    "text",
    42,
    True,
    [],
    ["a", {"b": 1}],
    {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, "x"]},
    {"Fn::If": "not-a-list"},
    {"Ref": ["odd"]},
]


@pytest.mark.parametrize("value", GARBAGE, ids=repr)
def test_garbage_never_raises(value: Any) -> None:
    candidates: list[tuple[Any, Any]] = [
        (value, value),
        ({"F": value}, {"Function": value, "Api": value}),
        ({"F": {"Type": "AWS::Serverless::Function", "Properties": value}}, None),
        ({"F": fn(Events=value)}, {"Function": value}),
        ({"F": fn(Events={"E": value})}, None),
        ({"F": fn(Events={"E": {"Type": value, "Properties": value}})}, None),
        ({"F": fn(Events={"E": {"Type": "Api", "Properties": value}})}, {"Api": value}),
        ({"F": fn(Events={"E": {"Type": "SNS", "Properties": {"SqsSubscription": value}}})}, None),
        ({"F": fn(Role=value, AutoPublishAlias=value, DeploymentPreference=value)}, None),
        ({"F": fn(FunctionUrlConfig=value, EventInvokeConfig={"DestinationConfig": value})}, None),
        (
            {"A": {"Type": "AWS::Serverless::Api", "Properties": {"Auth": value, "Domain": value}}},
            None,
        ),
        (
            {"G": {"Type": "AWS::Serverless::GraphQLApi", "Properties": {"DataSources": value}}},
            None,
        ),
        ({"C": {"Type": "AWS::Serverless::Connector", "Properties": {"Destination": value}}}, None),
        ({"X": {"Type": value, "Connectors": value}}, None),
    ]
    for resources, globals_ in candidates:
        result = expand_count(resources, globals_)
        assert isinstance(result, Expansion)
        assert result.expanded >= result.declared
        assert sum(result.by_resource.values()) == result.expanded


def test_none_resource_values_and_string_events() -> None:
    resources = {
        "A": None,
        "F": {"Type": "AWS::Serverless::Function", "Properties": {"Events": "oops"}},
        "G": {"Type": "AWS::Serverless::Function", "Properties": ["list", "props"]},
        "H": {"Type": "AWS::Serverless::Function", "Properties": None},
    }
    result = expand_count(resources, "garbage globals")
    # non-mapping entries count as one resource; a function with broken properties still makes
    # at least the function and its role
    assert result.by_resource == {"A": 1, "F": 2, "G": 2, "H": 2}


def test_non_mapping_resources() -> None:
    assert expand_count(None).expanded == 0  # type: ignore[arg-type]
    assert expand_count(["a", "b"]).expanded == 0  # type: ignore[arg-type]


# DeploymentPreference.Enabled / CreateUsagePlan given as !Ref P: SAM decides with the parameter's
# value (confirmed with the translator: Default false/"False" -> 4, "true"/"FALSE" -> 7; NONE -> 3,
# PER_API/SHARED -> 6); without a known value the reference counts as set.
_DEPLOYING = {
    "F": fn(AutoPublishAlias="live",
            DeploymentPreference={"Type": "AllAtOnce", "Enabled": {"Ref": "P"}}),
}
_USAGE_PLAN = {
    "A": {"Type": "AWS::Serverless::Api", "Properties": {
        "StageName": "s", "Auth": {"ApiKeyRequired": True,
                                   "UsagePlan": {"CreateUsagePlan": {"Ref": "P"}}}}},
}


@pytest.mark.parametrize(
    ("resources", "value", "expected"),
    [
        (_DEPLOYING, "false", 4),
        (_DEPLOYING, "False", 4),
        (_DEPLOYING, False, 4),
        (_DEPLOYING, "true", 7),
        (_DEPLOYING, "FALSE", 7),
        (_DEPLOYING, None, 7),
        (_USAGE_PLAN, "NONE", 3),
        (_USAGE_PLAN, "PER_API", 6),
        (_USAGE_PLAN, "SHARED", 6),
        (_USAGE_PLAN, None, 6),
    ],
)
def test_parameter_values_resolve_what_sam_resolves(
    resources: dict[str, Any], value: Any, expected: int
) -> None:
    parameters = {} if value is None else {"P": value}
    assert expand_count(resources, None, parameters).expanded == expected


def test_expansion_and_sam_tables_name_the_same_event_types():
    """One table of SAM event types: the expansion counts exactly the events the graph wires."""
    from awslint_rules.sam import EVENT_OWNERS
    from awslint_rules.sam_expansion import EVENT_TABLE

    assert {owner: set(table) for owner, table in EVENT_TABLE.items()} == {
        owner: set(types) for owner, types in EVENT_OWNERS.items()
    }
