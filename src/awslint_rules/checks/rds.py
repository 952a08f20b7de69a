"""RDS and Aurora: how many instances a cluster can hold."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..graph import CONTAINS, Edge
from ..intrinsics import Conditions
from ..model import Model

# One primary (writer) instance and at most 15 Aurora Replicas.
AURORA_MAX_REPLICAS = 15
AURORA_MAX_INSTANCES = AURORA_MAX_REPLICAS + 1


def _is_aurora(engine: object) -> bool:
    return isinstance(engine, str) and engine.lower().startswith("aurora")


def _instances_together(edges: list[Edge]) -> tuple[list[Edge], Conditions]:
    """The largest set of instances certain to exist at once, with its conditions: the
    unconditional ones plus, under each condition set of a conditional one, those whose
    conditions it includes (two differently named conditions may exclude each other)."""
    best: tuple[list[Edge], Conditions] = ([e for e in edges if not e.conditions], ())
    for case in {edge.conditions for edge in edges if edge.conditions}:
        within_case = [e for e in edges if set(e.conditions) <= set(case)]
        if len(within_case) > len(best[0]):
            best = (within_case, case)
    return best


def aurora_replica_limit(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    members: dict[str, list[Edge]] = {}
    for edge in m.graph.of_kind(CONTAINS):
        members.setdefault(edge.source or "", []).append(edge)
    for cluster_id, edges in members.items():
        cluster = t.resources[cluster_id]
        if not _is_aurora(t.resolver.one(cluster.properties.get("Engine"))):
            continue
        instances, when = _instances_together(edges)
        if len(instances) <= AURORA_MAX_INSTANCES:
            continue
        first_over = instances[AURORA_MAX_INSTANCES]
        over = len(instances) - AURORA_MAX_INSTANCES
        yield rule.hit(
            f"Aurora cluster '{cluster_id}' has {len(instances)} DB instances in this template: "
            f"an Aurora cluster holds one primary instance and at most {AURORA_MAX_REPLICAS} "
            f"Aurora Replicas ({AURORA_MAX_INSTANCES} instances), so creating instance "
            f"'{first_over.target}' fails; remove {over} instance{'s' if over > 1 else ''} or "
            "serve the extra reads from another cluster",
            Place(first_over.path),
            first_over.target,
            [Place(cluster.path, key=True, message="Aurora cluster")],
            when,
        )
