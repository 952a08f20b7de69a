"""A Lambda execution role's own policy statements: wildcard actions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import Located, alternatives, items, merge_conditions
from ..model import Model
from ..template import FUNCTION_TYPES, SAM_FUNCTION, Resource, Template

IAM_ROLE = "AWS::IAM::Role"
ATTACHED_POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
ROLE_POLICY = "AWS::IAM::RolePolicy"
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
# `*` or every action of one service (`s3:*`); `s3:Get*` names a family of actions and is kept.
_WILDCARD = re.compile(r"^(\*|[A-Za-z0-9-]+:\*)$")


def _execution_roles(t: Template) -> dict[str, list[str]]:
    """Roles of the template that run Lambda functions: each function's `Role`, and any role
    Lambda may assume (its functions may be in another stack) -> the template's functions."""
    roles: dict[str, list[str]] = {}
    for function in t.of_type(*sorted(FUNCTION_TYPES)):
        role = t.resource_at(function.properties.get("Role"))
        if role is not None and role.type == IAM_ROLE:
            roles.setdefault(role.logical_id, []).append(function.logical_id)
    for role in t.of_type(IAM_ROLE):
        trust = json.dumps(role.properties.get("AssumeRolePolicyDocument"), default=str)
        if LAMBDA_PRINCIPAL in trust:
            roles.setdefault(role.logical_id, [])
    return roles


def _role_documents(t: Template, role: Resource) -> Iterator[Located]:
    """The policy documents of a role: inline `Policies` and the policies attached to it."""
    path = (*role.properties_path, "Policies")
    for policy in items(role.properties.get("Policies"), path, (), t.known_conditions):
        if isinstance(policy.value, dict) and "PolicyDocument" in policy.value:
            yield Located(policy.value["PolicyDocument"], (*policy.path, "PolicyDocument"),
                          policy.conditions)
    for policy in t.of_type(*ATTACHED_POLICIES, ROLE_POLICY):
        targets = (policy.properties.get("Roles") if policy.type != ROLE_POLICY
                   else [policy.properties.get("RoleName")])
        if not isinstance(targets, list):
            continue
        if any(t.resource_at(target) is role for target in targets):
            yield Located(policy.properties.get("PolicyDocument"),
                          (*policy.properties_path, "PolicyDocument"))


def _sam_documents(t: Template, function: Resource) -> Iterator[Located]:
    """The inline policy documents of a SAM function's `Policies` (not policy templates, not
    managed policy names)."""
    raw = function.properties.get("Policies")
    path = (*function.properties_path, "Policies")
    listed = items(raw, path, (), t.known_conditions) if isinstance(raw, list) else \
        alternatives(raw, path, (), t.known_conditions)
    for policy in listed:
        if isinstance(policy.value, dict) and "Statement" in policy.value:
            yield policy


def _wildcard_actions(t: Template, document: Located) -> Iterator[Located]:
    """The `*` / `service:*` actions of the Allow statements of one policy document."""
    for side in alternatives(document.value, document.path, document.conditions,
                             t.known_conditions):
        if not isinstance(side.value, dict):
            continue
        statements = side.value.get("Statement")
        path = (*side.path, "Statement")
        listed = (items(statements, path, side.conditions, t.known_conditions)
                  if isinstance(statements, list) else
                  alternatives(statements, path, side.conditions, t.known_conditions))
        for statement in listed:
            if isinstance(statement.value, dict) and _allows(t, statement.value.get("Effect")):
                yield from _actions(t, statement)


def _allows(t: Template, effect: Any) -> bool:
    return all(branch.value == "Allow" for branch in t.branches(effect))


def _actions(t: Template, statement: Located) -> Iterator[Located]:
    raw = statement.value.get("Action")
    path = (*statement.path, "Action")
    listed = (items(raw, path, statement.conditions, t.known_conditions) if isinstance(raw, list)
              else alternatives(raw, path, statement.conditions, t.known_conditions))
    for action in listed:
        for branch in t.branches(action.value):
            when = merge_conditions(action.conditions, branch.conditions)
            if isinstance(branch.value, str) and _WILDCARD.match(branch.value.strip()) \
                    and when is not None:
                yield Located(branch.value.strip(), action.path, when)


def _meaning(action: str) -> str:
    if action == "*":
        return "every action of every service"
    return f"every action of {action.split(':')[0]}"


def function_role_wildcard_action(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for role_id, functions in _execution_roles(t).items():
        role = t.resources[role_id]
        users = (f" (used by {', '.join(repr(f) for f in functions)})" if functions else "")
        for document in _role_documents(t, role):
            for action in _wildcard_actions(t, document):
                yield rule.hit(
                    f"Lambda execution role '{role_id}'{users} allows `{action.value}`, "
                    f"{_meaning(action.value)}: list the actions the function calls, so a "
                    "compromised or faulty function can do no more than its job",
                    Place(action.path), role_id,
                    [Place(t.resources[f].path, key=True) for f in functions],
                    when=action.conditions)
    for function in t.of_type(SAM_FUNCTION):
        for document in _sam_documents(t, function):
            for action in _wildcard_actions(t, document):
                yield rule.hit(
                    f"Function '{function.logical_id}' allows `{action.value}` in its Policies, "
                    f"{_meaning(action.value)}: list the actions the function calls, so a "
                    "compromised or faulty function can do no more than its job",
                    Place(action.path), function.logical_id, when=action.conditions)
