"""IAM policies: statements that grant administrator access."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import Branch, Conditions, alternatives, combine, items
from ..load import Path
from ..model import Model
from ..sam import SAM_FUNCTION, SAM_STATE_MACHINE
from ..template import Resource, Template

# Resource type -> where its identity policies are: one PolicyDocument, or a Policies list.
DOCUMENT_TYPES = frozenset({
    "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy",
})
INLINE_POLICY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})
SAM_POLICY_TYPES = frozenset({SAM_FUNCTION, SAM_STATE_MACHINE})


@dataclass(frozen=True)
class Document:
    """A policy document as written, or parsed from a JSON string (then every place inside it
    is the string's own location)."""

    value: dict[str, Any]
    path: Path
    conditions: Conditions
    in_string: bool = False

    def place(self, *keys: str | int) -> Place:
        return Place(self.path if self.in_string else (*self.path, *keys))


def _documents(t: Template, r: Resource) -> Iterator[Document]:
    if r.type in DOCUMENT_TYPES:
        written = t.prop(r, "PolicyDocument")
        yield from _parsed(t, written.raw, written.path, ()) if written else ()
    elif r.type in INLINE_POLICY_TYPES:
        written = t.prop(r, "Policies")
        for policy in items(written.raw, written.path, (), t.known_conditions) if written else ():
            document = policy.value.get("PolicyDocument") if isinstance(policy.value, dict) \
                else None
            yield from _parsed(t, document, (*policy.path, "PolicyDocument"), policy.conditions)
    elif r.type in SAM_POLICY_TYPES:
        yield from _sam_documents(t, r)


def _sam_documents(t: Template, r: Resource) -> Iterator[Document]:
    """SAM `Policies`: a policy document, or a list of managed policy names, policy templates
    and policy documents (a mapping with `Statement`)."""
    written = t.prop(r, "Policies")
    if written is None:
        return
    for side in alternatives(written.raw, written.path, (), t.known_conditions):
        entries = (items(side.value, side.path, side.conditions, t.known_conditions)
                   if isinstance(side.value, list) else [side])
        for entry in entries:
            if isinstance(entry.value, dict) and "Statement" in entry.value:
                yield from _parsed(t, entry.value, entry.path, entry.conditions)


def _parsed(t: Template, raw: Any, path: Path, conditions: Conditions) -> Iterator[Document]:
    """Each side of the document's `Fn::If`s, a JSON string parsed."""
    for side in alternatives(raw, path, conditions, t.known_conditions):
        value, in_string = side.value, False
        if isinstance(value, str):
            try:
                value, in_string = json.loads(value), True
            except ValueError:
                continue
        if isinstance(value, dict):
            yield Document(value, side.path, side.conditions, in_string)


def _statements(t: Template, document: Document) -> Iterator[tuple[dict[str, Any], Path,
                                                                   Conditions]]:
    """Each statement (a mapping, or each item of a list), with its path inside the document."""
    raw = document.value.get("Statement")
    path = (*document.path, "Statement")
    for side in alternatives(raw, path, document.conditions, t.known_conditions):
        written = (items(side.value, side.path, side.conditions, t.known_conditions)
                   if isinstance(side.value, list) else [side])
        for statement in written:
            if isinstance(statement.value, dict):
                yield statement.value, statement.path[len(document.path):], statement.conditions


def _where(t: Template, raw: Any, wanted: Any) -> list[Branch]:
    """The branches on which `raw` is `wanted` or a list holding it (each item resolved)."""
    found = []
    for branch in t.branches(raw):
        values = branch.value if isinstance(branch.value, list) else [branch.value]
        for value in values:
            found += [Branch(None, combined) for (_, _), combined in combine(
                [branch], [b for b in t.branches(value) if b.value == wanted])]
    return found


def _admin_cases(t: Template, statement: dict[str, Any]) -> Iterator[tuple[str, Conditions]]:
    """('Action', when) for Allow * on *, ('NotAction', when) for Allow NotAction on *,
    ('NotResource', when) for Allow * on NotResource."""
    allow = _where(t, statement.get("Effect"), "Allow")
    everything = _where(t, statement.get("Resource"), "*")
    if "NotAction" in statement:
        for _, when in combine(allow, everything):
            yield "NotAction", when
    elif "NotResource" in statement:
        for _, when in combine(allow, _where(t, statement.get("Action"), "*")):
            yield "NotResource", when
    else:
        for _, when in combine(allow, everything, _where(t, statement.get("Action"), "*")):
            yield "Action", when


def _owner(t: Template, r: Resource) -> str:
    """"function 'Worker'", "managed policy 'Ops'": the resource type's last part in words."""
    kind = re.sub(r"(?<!^)(?=[A-Z])", " ", r.type.split("::")[-1]).lower()
    return f"{kind} '{r.logical_id}'"


def iam_full_admin(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for resource in t.resources.values():
        for document in _documents(t, resource):
            for statement, inside, conditions in _statements(t, document):
                seen: set[tuple[str, Conditions]] = set()
                for key, when in _admin_cases(t, statement):
                    merged = combine([Branch(None, conditions)], [Branch(None, when)])
                    for _, case in merged:
                        if (key, case) in seen:
                            continue
                        seen.add((key, case))
                        yield _hit(rule, resource, document, inside, key, statement, case, t)


def _hit(rule: Rule, resource: Resource, document: Document, inside: Path, key: str,
         statement: dict[str, Any], when: Conditions, t: Template) -> Hit:
    if key == "Action":
        what = ("allows every action (`Action: \"*\"`) on every resource (`Resource: \"*\"`): "
                "that is full administrator access")
    elif key == "NotAction":
        what = ("allows every action except its NotAction on every resource (`Resource: "
                "\"*\"`): that is nearly full administrator access, and it grows with each new "
                "AWS service")
    else:
        what = ("allows every action (`Action: \"*\"`) on every resource except its "
                "NotResource: that is nearly full administrator access")
    at, other = ("Action", "NotResource") if key == "NotResource" else (key, "Resource")
    return rule.hit(
        f"A policy statement of {_owner(t, resource)} {what}; allow only the actions this "
        "identity needs, on the resources it needs them for",
        document.place(*inside, at),
        resource.logical_id,
        [document.place(*inside, other)],
        when,
    )
