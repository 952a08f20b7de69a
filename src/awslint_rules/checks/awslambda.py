"""Lambda functions: how they are invoked and what happens when an invocation fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import (
    ANY_QUALIFIER,
    ASYNC,
    AUTHORIZER,
    DEAD_LETTERS,
    FUNCTION_DLQ,
    FUNCTION_ON_FAILURE,
    INVOKES,
    PERMITS,
    POLL,
    SYNC,
    UNKNOWN_PRINCIPAL,
    Edge,
)
from ..intrinsics import (
    NO_VALUE,
    Branch,
    Conditions,
    as_number,
    combine,
    merge_conditions,
    within,
)
from ..model import Model
from ..template import FUNCTION_TYPES, SAM_FUNCTION, Resource, Template, Value
from . import at_edge, at_value

ASYNC_SOURCES = {
    "s3": "S3 notification",
    "sns": "SNS subscription",
    "events": "EventBridge rule",
    "scheduler": "EventBridge Scheduler schedule",
    "logs": "CloudWatch Logs subscription filter",
    "iot": "IoT rule",
    "ses": "SES receipt rule",
    "pipes": "EventBridge pipe",
    "rest-api": "REST API asynchronous integration",
}
FAILURE_HANDLERS = frozenset({FUNCTION_DLQ, FUNCTION_ON_FAILURE})


def _source_name(origin: str | None) -> str:
    return ASYNC_SOURCES.get(origin or "", origin or "unknown source")


def _dead_letter_setting(t: Template, function_id: str) -> str:
    return "DeadLetterQueue" if t.resources[function_id].type == SAM_FUNCTION else (
        "DeadLetterConfig"
    )


def _covers(handler: Edge, qualifier: str | None) -> bool:
    """A dead-letter queue covers every version and alias; an EventInvokeConfig only the
    qualifier it names ($LATEST: unqualified invocations). Unknown qualifiers cover all."""
    return ANY_QUALIFIER in (handler.qualifier, qualifier) or handler.qualifier == qualifier


def _absent(edge: Edge) -> list[Branch]:
    """The condition sets under which `edge` does not exist (it exists when all of its
    conditions hold)."""
    absent = []
    for index, (name, truth) in enumerate(edge.conditions):
        absent.append(Branch(None, (*edge.conditions[:index], (name, not truth))))
    return absent


def _unhandled_failures(m: Model, function_id: str, qualifier: str | None) -> list[Conditions]:
    """The condition sets under which invocations of the function (at `qualifier`) have neither
    a dead-letter queue nor an on-failure destination."""
    handlers = [
        edge for edge in m.graph.out_of(function_id, DEAD_LETTERS)
        if edge.role in FAILURE_HANDLERS and _covers(edge, qualifier)
    ]
    return [conditions for _, conditions in combine(*(_absent(h) for h in handlers))]


def async_function_without_failure_destination(m: Model, rule: Rule) -> Iterator[Hit]:
    include_schedules = rule.option("include_schedules")
    for function_id, edges in m.graph.invoked_functions().items():
        by_qualifier: dict[str | None, list[Edge]] = {}
        for edge in edges:
            if edge.mode == ASYNC and (include_schedules or not edge.scheduled):
                by_qualifier.setdefault(edge.qualifier, []).append(edge)
        for qualifier, async_edges in sorted(by_qualifier.items(), key=lambda q: str(q[0])):
            yield from _unhandled(m, rule, function_id, qualifier, async_edges)


def _unhandled(m: Model, rule: Rule, function_id: str, qualifier: str | None,
               async_edges: list[Edge]) -> Iterator[Hit]:
    t = m.template
    sources = ", ".join(sorted({_source_name(e.origin) for e in async_edges}))
    dlq = _dead_letter_setting(t, function_id)
    named = qualifier not in (None, ANY_QUALIFIER)
    kind = "version" if str(qualifier).isdigit() else "alias"
    who = f"Function '{function_id}'" + (f" ({kind} '{qualifier}')" if named else "")
    config = f"EventInvokeConfig for '{qualifier}'" if named else "EventInvokeConfig"
    for unhandled in _unhandled_failures(m, function_id, qualifier):
        for when in _when_invoked(async_edges, unhandled):
            yield rule.hit(
                f"{who} is invoked asynchronously ({sources}) but has neither a dead-letter "
                f"queue ({dlq}) nor an on-failure destination ({config}): events that still "
                "fail after Lambda's retries are discarded",
                Place(t.resources[function_id].path, key=True),
                function_id,
                [at_edge(e, f"asynchronous invocation by {_source_name(e.origin)}")
                 for e in async_edges],
                when,
            )


def _when_invoked(edges: list[Edge], unhandled: Conditions) -> list[Conditions]:
    """One condition set under which some edge invokes while no handler exists: the least
    constrained (the related locations list every invoker, whatever its conditions)."""
    cases = {merged for edge in edges
             if (merged := merge_conditions(unhandled, edge.conditions)) is not None}
    return sorted(cases, key=lambda case: (len(case), case))[:1]


RESERVED = "ReservedConcurrentExecutions"


@dataclass(frozen=True)
class _Reservation:
    """One branch of a function's reserved concurrency and where it is written."""

    function_id: str
    number: float
    value: Value


def _count(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _reservations(t: Template, function: Resource) -> list[Branch] | None:
    """The function's reservation on each branch (None on branches that reserve nothing, or
    where the function is not created); None overall when any branch is unknown."""
    value = t.prop(function, RESERVED)  # the function's own value, or SAM Globals'
    branches: list[Branch] = []
    if value is None or value.raw is None:
        branches.append(Branch(None))
    else:
        for branch in t.branches(value):
            if branch.value is NO_VALUE:
                branches.append(Branch(None, branch.conditions))
                continue
            number = as_number(branch.value)
            if number is None or number < 0:
                return None
            reservation = _Reservation(function.logical_id, number, value)
            branches.append(Branch(reservation, branch.conditions))
    condition = function.condition
    if condition:
        branches = [*within(branches, ((condition, True),)), Branch(None, ((condition, False),))]
    return branches


def reserved_concurrency_over_account(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    account = rule.option("account_concurrency")
    unreserved = rule.option("unreserved_minimum")
    limit = account - unreserved
    alternatives: list[list[Branch]] = []
    for function in t.resources.values():
        if function.type not in FUNCTION_TYPES or t.prop(function, RESERVED) is None:
            continue
        branches = _reservations(t, function)
        if branches is None:  # a reservation we cannot resolve: the sum is unknown
            return
        alternatives.append(branches)
    worst: tuple[float, list[_Reservation], Conditions] | None = None
    for values, when in combine(*alternatives):
        reserved = [v for v in values if isinstance(v, _Reservation) and v.number > 0]
        total = sum(r.number for r in reserved)
        if total > limit and (worst is None or total > worst[0]):
            worst = (total, reserved, when)
    if worst is None:
        return
    total, reserved, when = worst
    largest = max(reserved, key=lambda r: r.number)  # the first one on a tie
    others = [r for r in reserved if r is not largest]
    if others:
        summary = (
            f"Reserved concurrency adds up to {_count(total)} across {len(reserved)} functions "
            f"(the largest, '{largest.function_id}', reserves {_count(largest.number)})"
        )
    else:
        summary = f"Function '{largest.function_id}' reserves {_count(total)} concurrency"
    yield rule.hit(
        f"{summary}, over the {_count(limit)} this account can reserve ({_count(account)} "
        f"concurrent executions minus the {_count(unreserved)} Lambda keeps unreserved): "
        "the deployment fails",
        Place(largest.value.path),
        largest.function_id,
        [Place(r.value.path, message=f"function '{r.function_id}' reserves {_count(r.number)}")
         for r in others],
        when,
    )


MAX_TIMEOUT = 900  # seconds: Lambda's documented maximum for Timeout


def _capacity_provider(t: Template, function: Resource) -> bool:
    """A Lambda Managed Instances function (its limits differ): EA1006 leaves it alone."""
    return t.prop(function, "CapacityProviderConfig") is not None


def function_timeout_over_max(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function in t.of_type(*FUNCTION_TYPES):
        value = t.prop(function, "Timeout")  # the function's own value, or SAM Globals'
        if value is None or value.raw is None or _capacity_provider(t, function):
            continue
        for branch in t.branches(value):
            number = as_number(branch.value)  # unknown, NoValue and non-numbers are skipped
            if number is None or number <= MAX_TIMEOUT:
                continue
            yield rule.hit(
                f"Function '{function.logical_id}' has Timeout {_count(number)} s, above "
                f"Lambda's maximum of {MAX_TIMEOUT} s (15 minutes): CloudFormation rejects the "
                "function and the deployment fails",
                at_value(value),
                function.logical_id,
                when=branch.conditions,
            )


def _setting(t: Template, resource: Resource, block: str, key: str) -> tuple[Value | None,
                                                                               list[Branch]]:
    """`block.key` of a resource (its own, else SAM Globals', per key as SAM merges them) and
    the values it can take; a block written as `Fn::If` is followed into each side."""
    own = resource.properties.get(block)
    if _intrinsic(own):  # SAM merges an intrinsic like a scalar: it replaces Globals' block
        whole = Value(own, (*resource.properties_path, block))
        return whole, t.values_along(whole, (key,))
    direct = t.prop(resource, block, key)
    if direct is not None:
        return direct, t.branches(direct)
    whole = t.prop(resource, block)
    return whole, t.values_along(whole, (key,))


def _intrinsic(raw: Any) -> bool:
    return isinstance(raw, dict) and len(raw) == 1 and (
        "Ref" in raw or next(iter(raw)).startswith("Fn::"))


GRADUAL = re.compile(r"(?:CodeDeployDefault\.Lambda)?(?:Canary|Linear)\d+Percent")


def _no_alarms(value: Any) -> bool:
    """Alarms absent (NoValue) or an empty list; unknown values are not reported."""
    if value is NO_VALUE or value is None:
        return True
    return isinstance(value, list) and not [v for v in value if v != {"Ref": "AWS::NoValue"}]


def _disabled(value: Any) -> bool | None:
    """Enabled false: True; absent or true: False; unknown: None."""
    if value is NO_VALUE or value is None or value is True:
        return False
    if value is False:
        return True
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "false"
    return None


def gradual_deployment_without_alarms(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function in t.of_type(SAM_FUNCTION):
        if t.prop(function, "DeploymentPreference") is None:
            continue
        where, types = _setting(t, function, "DeploymentPreference", "Type")
        _, alarms = _setting(t, function, "DeploymentPreference", "Alarms")
        _, enabled = _setting(t, function, "DeploymentPreference", "Enabled")
        if where is None:
            continue
        seen: set[Conditions] = set()
        for (kind, alarm, on), when in combine(types, alarms, enabled):
            if not (isinstance(kind, str) and GRADUAL.match(kind)):
                continue
            if _disabled(on) is not False or not _no_alarms(alarm) or when in seen:
                continue
            seen.add(when)
            yield rule.hit(
                f"Function '{function.logical_id}' shifts traffic gradually "
                f"(DeploymentPreference Type {kind}) but has no Alarms: CodeDeploy never rolls "
                "the new version back automatically, so errors reach a growing share of "
                "traffic until the shift completes",
                at_value(where),
                function.logical_id,
                when=when,
            )


FUNCTION_URL = "AWS::Lambda::Url"


def function_url_without_auth(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    found: list[tuple[Resource, Value | None, list[Branch], str]] = []
    for url in t.of_type(FUNCTION_URL):
        value = t.prop(url, "AuthType")
        found.append((url, value, t.branches(value) if value is not None else [], "Function URL"))
    for function in t.of_type(SAM_FUNCTION):
        if t.prop(function, "FunctionUrlConfig") is None:
            continue
        value, branches = _setting(t, function, "FunctionUrlConfig", "AuthType")
        found.append((function, value, branches, "Function"))
    for resource, value, branches, kind in found:
        if value is None:
            continue
        for when in dict.fromkeys(b.conditions for b in branches if b.value == "NONE"):
            what = "has a function URL with" if kind == "Function" else "has"
            yield rule.hit(
                f"{kind} '{resource.logical_id}' {what} AuthType NONE: Lambda does not "
                "authenticate requests, so once the resource policy allows public access (SAM "
                "grants it for FunctionUrlConfig) anyone who has the URL can invoke the function "
                "and run up its cost",
                at_value(value),
                resource.logical_id,
                when=when,
            )


# Principals whose invocations are synchronous: a permission for any other principal (S3, SNS,
# EventBridge, an account...) may stand for an asynchronous invoker outside the template.
SYNC_PRINCIPALS = frozenset({"apigateway.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                             "cognito-idp.amazonaws.com"})


def _named_ids(raw: Any) -> Iterator[str]:
    """The logical ids `raw` refers to (Ref, Fn::GetAtt, Fn::Sub), at any depth."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt" and isinstance(value, list) and value:
                yield str(value[0])
            elif key == "Fn::GetAtt" and isinstance(value, str):
                yield value.split(".")[0]
            elif key == "Fn::Sub":
                yield from (name.split(".")[0] for name in
                            re.findall(r"\$\{([^}!]+)\}", str(value)))
            yield from _named_ids(value)
    elif isinstance(raw, list):
        for value in raw:
            yield from _named_ids(value)


def _custom_resource_handlers(t: Template) -> set[str]:
    """CloudFormation invokes a custom resource's ServiceToken function asynchronously."""
    return {name for r in t.resources.values()
            if r.type.startswith("Custom::") or r.type == "AWS::CloudFormation::CustomResource"
            for name in _named_ids(r.properties.get("ServiceToken"))}


def _invoker_name(edge: Edge) -> str:
    what = f"{edge.origin or 'unknown source'} ({edge.mode})"
    return f"{edge.source} {what}" if edge.source else what


def failure_destination_without_async_source(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    handlers = None
    for function_id, invokers in m.graph.invoked_functions().items():
        if function_id not in t.resources:
            continue
        if any(edge.mode not in (SYNC, POLL) for edge in invokers):
            continue  # an asynchronous (or unknown) invoker: the settings may take effect
        handlers = _custom_resource_handlers(t) if handlers is None else handlers
        if function_id in handlers:
            continue  # CloudFormation invokes custom resource handlers asynchronously
        permits = m.graph.into(function_id, PERMITS)
        if any(edge.principal not in SYNC_PRINCIPALS for edge in permits):
            continue  # a permission that may let an outside service invoke asynchronously
        handlers = [edge for edge in m.graph.out_of(function_id, DEAD_LETTERS)
                    if edge.role in FAILURE_HANDLERS]
        names = ", ".join(sorted({_invoker_name(e) for e in invokers}))
        for handler in handlers:
            setting = (f"a dead-letter queue ({_dead_letter_setting(t, function_id)})"
                       if handler.role == FUNCTION_DLQ
                       else "an on-failure destination (EventInvokeConfig)")
            cases = {merged for edge in invokers
                     if (merged := merge_conditions(handler.conditions, edge.conditions))
                     is not None}
            for when in sorted(cases, key=lambda case: (len(case), case))[:1]:
                yield rule.hit(
                    f"Function '{function_id}' has {setting} but every invocation of it in this "
                    f"template is synchronous or polled ({names}): dead-letter queues and "
                    "on-failure destinations only apply to asynchronous invocations, so this one "
                    "never receives a failed event; an SQS consumer needs the queue's "
                    "RedrivePolicy, and a stream mapping its own DestinationConfig, instead",
                    at_edge(handler, "failure handler with no asynchronous invocation"),
                    function_id,
                    [at_edge(e, f"{e.mode} invocation by {e.origin or 'unknown source'}")
                     for e in invokers],
                    when,
                )


ENVIRONMENT_LIMIT = 4096  # bytes: Lambda's 4 KB for all environment variables, in aggregate


def _variable_size(t: Template, key: str, raw: Any) -> tuple[int, bool]:
    """The smallest known UTF-8 size of `key` + value over the value's branches (0 for a
    branch that drops the variable), and whether some branch is unknown."""
    sizes: list[int] = []
    unknown = False
    for branch in t.branches(raw):
        value = branch.value
        if value is NO_VALUE:
            sizes.append(0)
        elif isinstance(value, bool):
            sizes.append(len(key.encode()) + len(str(value).lower()))
        elif isinstance(value, str | int | float) and "{{resolve:" not in str(value):
            sizes.append(len(key.encode()) + len(str(value).encode()))
        else:
            unknown = True  # a resource attribute, an import, a dynamic reference...
            sizes.append(len(key.encode()))
    return min(sizes, default=0), unknown


def _environment_sizes(t: Template, raw: Any) -> list[tuple[int, int, Conditions]]:
    """(smallest known size in bytes, variable count, conditions) for each branch of an
    `Environment` (itself, its `Variables` or a value may be written as `Fn::If`)."""
    found = []
    for branch in t.values_along(Value(raw, ()), ("Variables",)):
        if not isinstance(branch.value, dict):
            continue
        total = sum(_variable_size(t, str(key), value)[0] for key, value in branch.value.items())
        found.append((total, len(branch.value), branch.conditions))
    return found


def environment_too_large(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function in t.of_type(*FUNCTION_TYPES):
        environment = t.merged_properties(function).get("Environment")
        if environment is None:
            continue
        # at the function's own Environment when it has one, else at the Globals that set it
        path = ((*function.properties_path, "Environment")
                if "Environment" in function.properties
                else ("Globals", "Function", "Environment"))
        for total, count, when in _environment_sizes(t, environment):
            if total <= ENVIRONMENT_LIMIT:
                continue
            yield rule.hit(
                f"Function '{function.logical_id}' has {count} environment variables of at "
                f"least {total} bytes (names and known values, UTF-8), over Lambda's 4 KB "
                f"({ENVIRONMENT_LIMIT} bytes) for all environment variables in aggregate: "
                "CloudFormation fails to create or update the function",
                Place(path, key=True),
                function.logical_id,
                when=when,
            )


# --- EA2008 api-lambda-permission-missing ---------------------------------------------------

API_ORIGINS = {"rest-api": "REST API", "http-api": "HTTP API", "websocket-api": "WebSocket API",
               "api-v2": "API"}
API_ORIGINS |= {f"{origin}{AUTHORIZER}": kind for origin, kind in API_ORIGINS.items()}
API_PRINCIPAL = "apigateway.amazonaws.com"
PERMISSION = "AWS::Lambda::Permission"
# Where an integration names the role API Gateway assumes to invoke the function instead.
CREDENTIAL_KEYS = ("Credentials", "CredentialsArn", "credentials", "AuthorizerCredentials",
                   "AuthorizerCredentialsArn", "authorizerCredentials", "FunctionInvokeRole")
URI_KEYS = ("Uri", "IntegrationUri", "uri", "AuthorizerUri", "authorizerUri", "FunctionArn")


def _lets_api_gateway(permit: Edge) -> bool:
    """A permission for API Gateway (`apigateway.${AWS::URLSuffix}` too), for everyone, or for
    a principal we cannot resolve."""
    principal = permit.principal or UNKNOWN_PRINCIPAL
    return principal.startswith("apigateway.") or principal in ("*", UNKNOWN_PRINCIPAL)


def _permits(permit: Edge, qualifier: str | None) -> bool:
    """A permission on the whole function is taken to cover its aliases too; one on an alias or
    version covers only invocations of that alias or version."""
    if permit.qualifier in (None, ANY_QUALIFIER) or qualifier == ANY_QUALIFIER:
        return True
    return permit.qualifier == qualifier


def _without_credentials(t: Template, edge: Edge) -> list[Conditions]:
    """The condition sets under which the integration exists and names no credentials role."""
    found: list[Conditions] = [edge.conditions]
    for key in CREDENTIAL_KEYS:
        absent = t.absent_when(t.prop_at((*edge.settings, key)))
        found = [merged for conditions in found for branch in absent
                 if (merged := merge_conditions(conditions, branch.conditions)) is not None]
    return found


def _uri_place(t: Template, edge: Edge, message: str) -> Place:
    """The integration's URI (or quick create's Target) where it is written."""
    if edge.path[-1] in URI_KEYS or edge.path[-1] == "Target":
        return Place(edge.path, message=message)
    for key in URI_KEYS:
        if t.prop_at((*edge.path, key)) is not None:
            return Place((*edge.path, key), message=message)
    return at_edge(edge, message)


def _permission_to_add(function_id: str, qualifier: str | None, api_id: str | None) -> str:
    arn = f"!GetAtt {function_id}.Arn"
    if qualifier == ANY_QUALIFIER:
        arn = f"the version or alias ARN of '{function_id}' that the integration invokes"
    elif qualifier is not None:
        arn = f"!Sub ${{{function_id}.Arn}}:{qualifier}"
    api = f"${{{api_id}}}" if api_id else "<api-id>"
    return (f"add an AWS::Lambda::Permission with Action lambda:InvokeFunction, Principal "
            f"{API_PRINCIPAL}, FunctionName {arn} and SourceArn !Sub "
            f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:{api}/*")


def _unresolved_permission(m: Model) -> bool:
    """A Lambda permission whose function cannot be told (a parameter, an import...): it may be
    the one an integration needs. One that names a literal function which no function of the
    template is (`billing-handler`, an ARN) is for a function elsewhere, when every function
    of the template has a literal name or a generated one."""
    t = m.template
    known = {edge.owner for edge in m.graph.of_kind(PERMITS)}
    unknown = [p for p in t.of_type(PERMISSION) if p.logical_id not in known]
    if not unknown:
        return False
    names_known = all(
        "FunctionName" not in f.properties or isinstance(t.resolver.one(f.properties[
            "FunctionName"]), str) for f in t.of_type(*FUNCTION_TYPES))
    return not names_known or any(
        not isinstance(t.resolver.one(p.properties.get("FunctionName")), str) for p in unknown)


def api_lambda_permission_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    if _unresolved_permission(m):
        return
    for function_id, invokers in m.graph.invoked_functions().items():
        if t.resources.get(function_id) is None or \
                t.resources[function_id].type not in FUNCTION_TYPES:
            continue
        groups: dict[tuple[str | None, str | None], list[tuple[Edge, Conditions]]] = {}
        for edge in invokers:
            if edge.origin not in API_ORIGINS or edge.sam_event is not None:
                continue  # SAM adds the permission for its Api and HttpApi events itself
            for conditions in _without_credentials(t, edge):
                groups.setdefault((edge.source, edge.qualifier), []).append((edge, conditions))
        for (api_id, qualifier), edges in groups.items():
            yield from _missing_permission(m, rule, function_id, api_id, qualifier, edges)


def _sam_alternative(t: Template, edge: Edge) -> str:
    """A SAM HttpApi authorizer can have SAM add the permission."""
    owner = t.resources.get(edge.owner)
    if owner is None or owner.type != "AWS::Serverless::HttpApi" or "Authorizers" not in edge.path:
        return ""
    return ", or set EnableFunctionDefaultPermissions: true on the authorizer"


def _invoker(edge: Edge) -> str:
    return "authorizer" if (edge.origin or "").endswith(AUTHORIZER) else "integration"


def _missing_permission(m: Model, rule: Rule, function_id: str, api_id: str | None,
                        qualifier: str | None, edges: list[tuple[Edge, Conditions]]
                        ) -> Iterator[Hit]:
    t = m.template
    permits = [p for p in m.graph.into(function_id, PERMITS)
               if _lets_api_gateway(p) and _permits(p, qualifier)]
    unpermitted = [conditions for _, conditions in combine(*(_absent(p) for p in permits))]
    for missing in unpermitted:
        cases = [(edge, merged) for edge, conditions in edges
                 if (merged := merge_conditions(missing, conditions)) is not None]
        if not cases:
            continue
        edge, when = min(cases, key=lambda case: (len(case[1]), case[1]))
        kind = API_ORIGINS[edge.origin or ""]
        named = qualifier not in (None, ANY_QUALIFIER)
        kind_of = "version" if str(qualifier).isdigit() else "alias"
        who = f"'{function_id}'" + (f" ({kind_of} '{qualifier}')" if named else "")
        api = f" '{t.declared_id(api_id)}'" if api_id else ""
        what = _invoker(edge)
        uses = ("uses function", f"{who} as Lambda authorizer") if what == "authorizer" else (
            "integrates function", who)
        yield rule.hit(
            f"The {kind}{api} {uses[0]} {uses[1]}, but no AWS::Lambda::Permission lets "
            f"{API_PRINCIPAL} invoke it and the {what} has no credentials role: every "
            f"call answers 500 (Invalid permissions on Lambda function); "
            f"{_permission_to_add(function_id, qualifier, api_id)}{_sam_alternative(t, edge)}",
            _uri_place(t, edge, ""),
            edge.owner,
            [Place(t.resources[function_id].path, key=True,
                   message="function without a permission for API Gateway"),
             *(_uri_place(t, other, f"{kind} {_invoker(other)} of '{function_id}'")
               for other, _ in cases if other is not edge)],
            when,
        )
        return


# --- provisioned concurrency and aliases (WA1007, EA1005) -----------------------------------

ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"
PROVISIONED = ("ProvisionedConcurrencyConfig", "ProvisionedConcurrentExecutions")


@dataclass(frozen=True)
class _Published:
    """Why invocations of a function should go through a qualifier: an alias SAM publishes
    (AutoPublishAlias) or provisioned concurrency on a version or alias."""

    function_id: str
    what: str  # "AutoPublishAlias 'live'", "alias 'live' (LiveAlias)", ...
    place: Place
    conditions: Conditions
    fix: str  # what to point invokers at
    amount: Value | None = None  # ProvisionedConcurrentExecutions, where it is set


def _function_behind(t: Template, raw: Any, depth: int = 0) -> str | None:
    """The function of this template a FunctionName names, through aliases and versions."""
    resource = t.resource_at(raw)
    if resource is None or depth > 3:
        return None
    if resource.type in FUNCTION_TYPES:
        return resource.logical_id
    if resource.type in (ALIAS, VERSION):
        return _function_behind(t, resource.properties.get("FunctionName"), depth + 1)
    return None


def _auto_alias(t: Template, function: Resource) -> list[tuple[str, Conditions]]:
    """The alias names SAM publishes for the function on each branch (AutoPublishAlias)."""
    value = t.prop(function, "AutoPublishAlias")
    if value is None:
        return []
    return [(f" '{b.value}'" if isinstance(b.value, str) else "", b.conditions)
            for b in t.branches(value) if b.value not in (NO_VALUE, None, "")]


def _published(t: Template) -> dict[str, list[_Published]]:
    """Function logical id -> its published aliases and provisioned concurrency settings."""
    found: dict[str, list[_Published]] = {}
    for function in t.of_type(SAM_FUNCTION):
        aliases = _auto_alias(t, function)
        value = t.prop(function, *PROVISIONED)
        setting = t.prop(function, "AutoPublishAlias")
        for name, when in aliases:
            entry = _Published(function.logical_id, f"AutoPublishAlias{name}",
                               Place(setting.path) if setting else Place(function.path, True),
                               when, f"!Ref {function.logical_id}.Alias", value)
            found.setdefault(function.logical_id, []).append(entry)
    for holder in t.of_type(ALIAS, VERSION):
        value = t.prop(holder, *PROVISIONED)
        function_id = _function_behind(t, holder.properties.get("FunctionName"))
        if value is None or function_id is None:
            continue
        name = t.resolver.one(holder.properties.get("Name"))
        what = (f"alias '{name}' ({holder.logical_id})" if holder.type == ALIAS and
                isinstance(name, str) else f"{holder.type.rsplit('::')[-1].lower()} "
                f"'{holder.logical_id}'")
        found.setdefault(function_id, []).append(
            _Published(function_id, what, Place(value.path), holder.conditions,
                       f"!Ref {holder.logical_id}", value))
    return found


# Where an invoker names its function: the first of these keys under the edge's path.
FUNCTION_KEYS = ("FunctionName", "Uri", "IntegrationUri", "uri", "Target", "Arn", "Endpoint",
                 "FunctionArn", "Function", "Id", "DestinationArn")


def _function_place(t: Template, edge: Edge, message: str = "") -> Place:
    """The value through which an invoker or permission names the function."""
    written = t.prop_at(edge.path)
    if written is not None and t.reference(written.raw) is not None:
        return Place(edge.path, message=message)
    for base in (edge.path, edge.settings):
        for key in FUNCTION_KEYS:
            if t.prop_at((*base, key)) is not None:
                return Place((*base, key), message=message)
    return at_edge(edge, message)


def _bypasses(t: Template, edge: Edge) -> bool:
    """An invocation or permission of the unqualified function that the template declares (SAM
    events use the alias; connectors are SAM's own)."""
    if edge.qualifier is not None or edge.sam_event is not None:
        return False
    owner = t.resources.get(edge.owner)
    return owner is not None and (edge.kind == INVOKES or owner.type == PERMISSION)


def integration_bypasses_alias(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function_id, reasons in _published(t).items():
        edges = [*m.graph.into(function_id, INVOKES), *m.graph.into(function_id, PERMITS)]
        for edge in edges:
            if not _bypasses(t, edge):
                continue
            for reason in reasons:
                when = merge_conditions(edge.conditions, reason.conditions)
                if when is None:
                    continue
                yield _bypass_hit(t, rule, edge, reason, when)
                break


def _bypass_hit(t: Template, rule: Rule, edge: Edge, reason: _Published,
                when: Conditions) -> Hit:
    owner = t.resources[edge.owner]
    kind = owner.type.split("::", 1)[-1]
    if edge.kind == PERMITS:
        action, effect = "grants its permission on", (
            "it does not cover invocations of the alias or version, and invokers it lets in "
            "run the unpublished $LATEST code")
    else:
        action, effect = "invokes", "its calls run the unpublished $LATEST code"
    return rule.hit(
        f"{kind} '{t.declared_id(edge.owner)}' {action} the unqualified function "
        f"'{reason.function_id}', which has {reason.what}: {effect}, bypassing traffic "
        f"shifting and provisioned concurrency; point it at {reason.fix}",
        _function_place(t, edge),
        edge.owner,
        [Place(reason.place.path, reason.place.key, f"{reason.what} of '{reason.function_id}'")],
        when,
    )


def _provisioned_amounts(t: Template, entry: _Published) -> list[Branch] | None:
    """(number, entry) per branch of one provisioned concurrency setting, 0 where it is not
    set or its holder is not created; None when some branch is unknown."""
    if entry.amount is None:
        return [Branch((0, entry))]
    branches: list[Branch] = []
    for branch in within(t.branches(entry.amount), entry.conditions):
        number = 0 if branch.value is NO_VALUE else as_number(branch.value)
        if number is None:
            return None
        branches.append(Branch((number, entry), branch.conditions))
    return [*branches, *(Branch((0, entry), b.conditions) for b in _absent_conditions(entry))]


def _absent_conditions(entry: _Published) -> list[Branch]:
    """The condition sets under which the entry's alias, version or setting does not exist."""
    return [Branch(None, (*entry.conditions[:i], (name, not truth)))
            for i, (name, truth) in enumerate(entry.conditions)]


def provisioned_over_reserved(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function_id, entries in _published(t).items():
        function = t.resources[function_id]
        if t.prop(function, RESERVED) is None:
            continue
        reservations = _reservations(t, function)
        amounts = [_provisioned_amounts(t, e) for e in entries if e.amount is not None]
        if reservations is None or not amounts or any(a is None for a in amounts):
            continue  # no provisioned concurrency, or a number we cannot resolve
        seen: set[Conditions] = set()
        for values, when in combine(reservations, *(a for a in amounts if a is not None)):
            reservation, provisioned = values[0], [v for v in values[1:] if v[0] > 0]
            total = sum(number for number, _ in provisioned)
            if not isinstance(reservation, _Reservation) or total <= reservation.number:
                continue
            if when in seen:
                continue
            seen.add(when)
            yield _over_reserved(rule, function_id, reservation, provisioned, total, when)


def _over_reserved(rule: Rule, function_id: str, reservation: _Reservation,
                   provisioned: list[tuple[float, _Published]], total: float,
                   when: Conditions) -> Hit:
    largest = max(provisioned, key=lambda p: p[0])
    parts = ", ".join(f"{entry.what}: {_count(number)}" for number, entry in provisioned)
    inherited = " (from Globals)" if reservation.value.path[:1] == ("Globals",) else ""
    return rule.hit(
        f"Function '{function_id}' has {_count(total)} provisioned concurrency ({parts}), more "
        f"than its reserved concurrency of {_count(reservation.number)}{inherited}: provisioned "
        "concurrency counts towards the function's reserved concurrency, so Lambda refuses the "
        "allocation and the deployment fails; raise ReservedConcurrentExecutions to at least "
        f"{_count(total)} or lower the provisioned concurrency",
        Place(largest[1].amount.path if largest[1].amount else largest[1].place.path),
        function_id,
        [Place(reservation.value.path,
               message=f"reserved concurrency {_count(reservation.number)}"),
         *(Place(entry.amount.path, message=f"{entry.what}: {_count(number)}")
           for number, entry in provisioned if entry is not largest[1] and entry.amount)],
        when,
    )
