"""API Gateway in front of Lambda: the integration timeout against the function timeout."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit
from ..graph import INVOKES, SYNC, Edge
from ..intrinsics import NO_VALUE, Branch, as_number, combine
from ..template import Template
from . import at_edge, at_value, seconds

API_NAMES = {"rest-api": "REST API", "http-api": "HTTP API"}
STREAMING_TIMEOUT_SECONDS = 900  # REST proxy integrations that stream their response


def _integration_timeouts(t: Template, rule: Rule, edge: Edge) -> list[Branch]:
    """The integration timeout in seconds: TimeoutInMillis where set, else the API's default.

    A streaming REST integration may be configured up to 15 minutes; when it sets no
    TimeoutInMillis the rule assumes the most it can be rather than guess.
    """
    default = _default_timeout(t, rule, edge)
    for key in ("TimeoutInMillis", "timeoutInMillis"):
        setting = t.prop_at((*edge.settings, key))
        if setting is not None and setting.raw is not None:
            return [_seconds(b, default) for b in t.branches(setting)]
    return default


def _seconds(branch: Branch, default: list[Branch]) -> Branch:
    """Milliseconds to seconds; AWS::NoValue means the API's default, unknown stays None."""
    if branch.value is NO_VALUE:
        return Branch(default[0].value, branch.conditions)
    number = as_number(branch.value)
    return Branch(number / 1000 if number is not None else None, branch.conditions)


def _default_timeout(t: Template, rule: Rule, edge: Edge) -> list[Branch]:
    if edge.service == "rest-api":
        for key in ("ResponseTransferMode", "responseTransferMode"):
            mode = t.prop_at((*edge.settings, key))
            if mode is not None and t.resolver.one(mode.raw) == "STREAM":
                return [Branch(STREAMING_TIMEOUT_SECONDS)]
    option = "api_timeout_seconds" if edge.service == "rest-api" else "http_api_timeout_seconds"
    return [Branch(rule.option(option))]


def function_timeout_exceeds_api_timeout(t: Template, rule: Rule) -> Iterator[Hit]:
    for function_id, edges in t.graph.invoked_functions().items():
        api_edges = [
            e for e in edges if e.kind == INVOKES and e.mode == SYNC and e.service in API_NAMES
        ]
        if not api_edges:
            continue
        timeout = t.effective(t.resources[function_id], "Timeout")
        for fn_branch in t.branches(timeout):
            yield from _over_limit(t, rule, function_id, timeout, fn_branch, api_edges)


def _over_limit(t, rule, function_id, timeout, fn_branch: Branch, api_edges) -> Iterator[Hit]:
    fn_timeout = as_number(fn_branch.value)
    if fn_timeout is None:
        return
    offending: list[tuple[Edge, float]] = []
    conditions = dict(fn_branch.conditions)
    for edge in api_edges:
        for (limit,), when in combine(_integration_timeouts(t, rule, edge)):
            if limit is None or fn_timeout <= limit:
                continue
            if all(conditions.get(name, truth) == truth for name, truth in when):
                conditions.update(when)
                offending.append((edge, limit))
                break
    if not offending:
        return
    limit = min(limit for _, limit in offending)
    kinds = " and ".join(sorted({API_NAMES[e.service] for e, _ in offending}))
    inherited = " (from Globals)" if timeout.path[:1] == ("Globals",) else ""
    written = seconds(fn_timeout, timeout.default)
    yield rule.hit(
        f"Function '{function_id}' Timeout {written}{inherited} is longer "
        f"than the {limit:g} s integration timeout of the {kinds} in front of it: clients get "
        "a 504 while the function keeps running (and billing)",
        at_value(timeout),
        function_id,
        [at_edge(e, f"{API_NAMES[e.service]} integration ({lim:g} s)") for e, lim in offending],
        tuple(sorted(conditions.items())),
    )
