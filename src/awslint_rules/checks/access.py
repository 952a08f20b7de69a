"""Whether a service may reach a resource of this template: Lambda permissions, queue and topic
policies, and what SAM grants by itself, all as PERMITS edges of the graph."""

from __future__ import annotations

from ..findings import Place
from ..graph import ANY_PRINCIPAL, ANY_QUALIFIER, PERMITS, UNKNOWN_PRINCIPAL
from ..intrinsics import Conditions, merge_conditions
from ..model import Model

# The resource types whose unresolved target may be any resource of a kind.
PERMISSION_OWNERS = {
    "function": ("AWS::Lambda::Permission",),
    "queue": ("AWS::SQS::QueuePolicy", "AWS::SQS::QueueInlinePolicy"),
}


def _grants(principal: str | None, wanted: str) -> bool:
    """A principal that is `wanted`, everyone, or cannot be told (never a finding)."""
    return principal in (wanted, ANY_PRINCIPAL, UNKNOWN_PRINCIPAL, None)


class Grants:
    """The permissions and policies of one template, read once per check."""

    def __init__(self, m: Model) -> None:
        self.graph = m.graph
        # kind -> principals granted on a resource of that kind that cannot be told
        self.unknown: dict[str, set[str | None]] = {kind: set() for kind in PERMISSION_OWNERS}
        for edge in m.graph.of_kind(PERMITS):
            owner = m.template.resources.get(edge.owner)
            for kind, owners in PERMISSION_OWNERS.items():
                if edge.target is None and edge.sam_event is None and owner is not None \
                        and owner.type in owners:
                    self.unknown[kind].add(edge.principal)

    def missing_when(self, resource_id: str, kind: str, principal: str,
                     conditions: Conditions, source: str | None = None) -> list[Conditions]:
        """The conditions under which no permission or policy lets `principal` reach the
        resource from `source` while the wiring (existing under `conditions`) does:
        `[conditions]` when there is none, `[]` when one always applies or may (a grant that
        cannot be told, a grant under conditions too tangled to negate). A grant limited to
        another source of this template (its `SourceArn`) does not count."""
        if any(_grants(unknown, principal) for unknown in self.unknown[kind]):
            return []
        grants = [edge.conditions for edge in self.graph.into(resource_id, PERMITS)
                  if _grants(edge.principal, principal)
                  and (edge.source is None or source is None or edge.source == source)
                  and merge_conditions(edge.conditions, conditions) is not None]
        if not grants:
            return [conditions]
        if any(set(grant) <= set(conditions) for grant in grants):
            return []
        extra = set(grants[0]) - set(conditions)
        if len(grants) == 1 and len(extra) == 1:
            (name, truth), = extra
            negated = merge_conditions(conditions, ((name, not truth),))
            return [negated] if negated is not None else []
        return []


def at_resource(m: Model, logical_id: str | None, message: str) -> list[Place]:
    """The resource's logical id as a related location, when it is declared in the template."""
    resource = m.template.resources.get(logical_id) if logical_id else None
    return [Place(resource.path, key=True, message=message)] if resource else []


def function_name(function: str, qualifier: str | None) -> str:
    """What a permission's FunctionName must say for the version or alias that is invoked."""
    if qualifier is None:
        return f"!GetAtt {function}.Arn"
    if qualifier == ANY_QUALIFIER:
        return f"the ARN of the {function} version or alias that is invoked"
    return f"the ARN of alias '{qualifier}' of {function}"
