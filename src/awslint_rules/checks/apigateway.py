"""API Gateway in front of Lambda: the integration timeout against the function timeout."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit
from ..graph import SYNC, Edge
from ..intrinsics import NO_VALUE, Branch, as_number, combine
from ..model import Model
from ..template import Template
from . import at_edge, at_value, seconds

API_NAMES = {"rest-api": "REST API", "http-api": "HTTP API"}
OPTIONS = {"rest-api": "api_timeout_seconds", "http-api": "http_api_timeout_seconds"}


def _integration_timeouts(t: Template, rule: Rule, edge: Edge) -> list[Branch]:
    """The integration timeout in seconds on each branch: TimeoutInMillis where set, else the
    API's default (a response-streaming integration too: it may be raised up to 15 minutes,
    but only by its own TimeoutInMillis). Only where the edge exists."""
    default = [Branch(rule.option(OPTIONS[edge.origin or ""]))]
    timeouts = default
    for key in ("TimeoutInMillis", "timeoutInMillis"):
        setting = t.prop_at((*edge.settings, key))
        if setting is not None and setting.raw is not None:
            timeouts = [_seconds(b, default) for b in t.branches(setting)]
            break
    return [Branch(v[0], when) for v, when in combine(timeouts, [Branch(None, edge.conditions)])]


def _seconds(branch: Branch, default: list[Branch]) -> Branch:
    """Milliseconds to seconds; AWS::NoValue means the API's default, unknown stays None."""
    if branch.value is NO_VALUE:
        return Branch(default[0].value, branch.conditions)
    number = as_number(branch.value)
    return Branch(number / 1000 if number is not None else None, branch.conditions)


def _api_edges(edges: list[Edge]) -> list[Edge]:
    """Synchronous API integrations, once per integration (an `Api` event and the OpenAPI body
    it uses are one integration)."""
    unique: dict[tuple, Edge] = {}
    for edge in edges:
        if edge.mode == SYNC and edge.origin in API_NAMES:
            unique.setdefault((edge.settings, edge.conditions), edge)
    return list(unique.values())


def function_timeout_exceeds_api_timeout(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for function_id, edges in m.graph.invoked_functions().items():
        api_edges = _api_edges(edges)
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
        for limit_branch in _integration_timeouts(t, rule, edge):
            limit, when = limit_branch.value, limit_branch.conditions
            if limit is None or fn_timeout <= limit:
                continue
            if all(conditions.get(name, truth) == truth for name, truth in when):
                conditions.update(when)
                offending.append((edge, limit))
                break
    if not offending:
        return
    limit = min(limit for _, limit in offending)
    kinds = " and ".join(sorted({API_NAMES[e.origin or ""] for e, _ in offending}))
    inherited = " (from Globals)" if timeout.path[:1] == ("Globals",) else ""
    written = seconds(fn_timeout, timeout.default)
    yield rule.hit(
        f"Function '{function_id}' Timeout {written}{inherited} is longer "
        f"than the {limit:g} s integration timeout of the {kinds} in front of it: clients get "
        "a 504 while the function keeps running (and billing)",
        at_value(timeout),
        function_id,
        [at_edge(e, f"{API_NAMES[e.origin or '']} integration ({lim:g} s)")
         for e, lim in offending],
        tuple(sorted(conditions.items())),
    )
