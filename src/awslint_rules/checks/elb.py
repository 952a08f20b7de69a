"""Elastic Load Balancing in front of Lambda: the permission a lambda target group needs."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import INVOKES, PERMITS, Edge
from ..intrinsics import Conditions, merge_conditions
from ..model import Model
from ..template import Template

ELB_PRINCIPAL = "elasticloadbalancing.amazonaws.com"
PERMISSION = "AWS::Lambda::Permission"


def _may_permit_anything(t: Template) -> bool:
    """A permission whose function or principal cannot be resolved may be the missing one."""
    for permission in t.of_type(PERMISSION):
        function = t.resource_at(permission.properties.get("FunctionName"))
        principal = t.resolver.one(permission.properties.get("Principal"))
        if function is None or not isinstance(principal, str):
            return True
    return False


def _uncovered(edge: Edge, permits: list[Edge]) -> list[Conditions]:
    """The conditions under which the target exists and no ELB permission does."""
    cases = [edge.conditions]
    for permit in permits:
        cases = [c for c in cases if merge_conditions(c, permit.conditions) is None] + [
            merged for c in cases for name, truth in permit.conditions
            if (merged := merge_conditions(c, ((name, not truth),))) is not None
        ]
    return list(dict.fromkeys(cases))


def alb_lambda_permission_missing(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    if _may_permit_anything(t):
        return
    for edge in m.graph.of_kind(INVOKES):
        if edge.origin != "alb" or edge.target not in t.resources:
            continue
        permits = [p for p in m.graph.into(edge.target, PERMITS)
                   if p.principal == ELB_PRINCIPAL]
        for when in _uncovered(edge, permits):
            yield rule.hit(
                f"Target group '{edge.source}' targets function '{edge.target}', but no "
                f"AWS::Lambda::Permission lets {ELB_PRINCIPAL} invoke it: registering the "
                "target fails and the stack rolls back; add a permission with that principal "
                "(and make the target group DependsOn it)",
                Place((*edge.path, "Id")),
                edge.source,
                [Place(t.resources[edge.target].path, key=True, message="the function")],
                when,
            )
