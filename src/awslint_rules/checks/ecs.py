"""ECS: services and task definitions that run on EC2 instances rather than Fargate; rolling
updates without a circuit breaker that rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import (
    NO_VALUE,
    alternatives,
    combine,
    items,
    within,
)
from ..load import Path
from ..model import Model
from ..template import Resource, Template

SERVICE = "AWS::ECS::Service"
TASK_DEFINITION = "AWS::ECS::TaskDefinition"
CAPACITY_PROVIDER = "AWS::ECS::CapacityProvider"
CLUSTER = "AWS::ECS::Cluster"
ASSOCIATIONS = "AWS::ECS::ClusterCapacityProviderAssociations"
ADVICE = ("Fargate runs the tasks without EC2 instances to patch, scale and pack; use "
          "LaunchType FARGATE (or the FARGATE capacity providers) unless the workload needs "
          "what only EC2 offers (GPUs, daemon tasks, privileged containers...)")


def _is(value: Any, name: str) -> bool:
    return isinstance(value, str) and value.strip().upper() == name



def _launch_types(t: Template, service: Resource) -> Iterator[tuple[Place, Any, str]]:
    """(where, conditions, what) for each way the service runs on EC2."""
    path = (*service.properties_path, "LaunchType")
    for side in alternatives(service.properties.get("LaunchType"), path, (),
                             t.known_conditions):
        for branch in within(t.branches(side.value), side.conditions):
            if _is(branch.value, "EC2"):
                yield Place(side.path), branch.conditions, "LaunchType EC2"
    path = (*service.properties_path, "CapacityProviderStrategy")
    for place, when, provider in _asg_entries(t, service.properties.get(
            "CapacityProviderStrategy"), path):
        yield place, when, f"capacity provider '{provider}' of an Auto Scaling group"


def _asg_entries(t: Template, raw: Any, path: Path) -> Iterator[tuple[Place, Any, str]]:
    """(where, conditions, provider) for each entry of a capacity provider strategy that names
    an AWS::ECS::CapacityProvider of this template backed by an Auto Scaling group."""
    for item in items(raw, path, (), t.known_conditions):
        if not isinstance(item.value, dict):
            continue
        provider = t.resource_at(item.value.get("CapacityProvider"))
        if provider is not None and provider.type == CAPACITY_PROVIDER and \
                "AutoScalingGroupProvider" in provider.properties:
            yield Place((*item.path, "CapacityProvider")), item.conditions, provider.logical_id


def _cluster_defaults(t: Template) -> dict[str, list[tuple[Place, Any, str]]]:
    """Cluster logical id -> the entries of its default capacity provider strategy (on the
    cluster or its ClusterCapacityProviderAssociations) that name an Auto Scaling group's."""
    found: dict[str, list[tuple[Place, Any, str]]] = {}
    owners = [(c, c) for c in t.of_type(CLUSTER)] + [
        (t.resource_at(a.properties.get("Cluster")), a) for a in t.of_type(ASSOCIATIONS)]
    for cluster, owner in owners:
        if cluster is None or cluster.type != CLUSTER:
            continue
        path = (*owner.properties_path, "DefaultCapacityProviderStrategy")
        found.setdefault(cluster.logical_id, []).extend(_asg_entries(
            t, owner.properties.get("DefaultCapacityProviderStrategy"), path))
    return found


def _cluster_default_on_ec2(t: Template, service: Resource,
                            defaults: dict[str, list[tuple[Place, Any, str]]]
                            ) -> Iterator[tuple[Place, Any, str, Place]]:
    """A service with neither LaunchType nor CapacityProviderStrategy (and not deployed by an
    external controller) takes its cluster's default strategy."""
    props = service.properties
    controllers = t.values_along(t.prop(service, "DeploymentController"), ("Type",))
    if "LaunchType" in props or "CapacityProviderStrategy" in props or \
            not all(_is_or_absent(c.value, "ECS") or _is(c.value, "CODE_DEPLOY")
                    for c in controllers):
        return
    cluster = t.resource_at(props.get("Cluster"))
    for place, when, provider in defaults.get(cluster.logical_id if cluster else "", []):
        yield (Place(service.path, key=True), when,
               f"the default capacity provider strategy of cluster '{cluster.logical_id}' "
               f"names capacity provider '{provider}' of an Auto Scaling group", place)


def _compatibilities(t: Template, task: Resource) -> Iterator[tuple[Place, Any, str]]:
    """A task definition that can only run on EC2: RequiresCompatibilities has EC2, no FARGATE."""
    path = (*task.properties_path, "RequiresCompatibilities")
    for listing in alternatives(task.properties.get("RequiresCompatibilities"), path, (),
                                t.known_conditions):
        entries = items(listing.value, listing.path, listing.conditions, t.known_conditions) \
            if isinstance(listing.value, list) else []
        names = [(entry, branch) for entry in entries
                 for branch in within(t.branches(entry.value), entry.conditions)]
        if any(not isinstance(branch.value, str) for _, branch in names):
            continue  # an unknown entry may be FARGATE
        if any(_is(branch.value, "FARGATE") for _, branch in names):
            continue
        for entry, branch in names:
            if _is(branch.value, "EC2"):
                yield Place(entry.path), branch.conditions, "RequiresCompatibilities EC2"


def ecs_ec2_launch_type(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    defaults = _cluster_defaults(t)
    for service in t.of_type(SERVICE):
        for place, when, what in _launch_types(t, service):
            yield rule.hit(f"ECS service '{service.logical_id}' runs on EC2 instances ({what}): "
                           + ADVICE, place, service.logical_id, when=when)
        for place, when, what, entry in _cluster_default_on_ec2(t, service, defaults):
            yield rule.hit(f"ECS service '{service.logical_id}' runs on EC2 instances ({what}): "
                           + ADVICE, place, service.logical_id,
                           [Place(entry.path, message="the cluster's default strategy")], when)
    for task in t.of_type(TASK_DEFINITION):
        for place, when, what in _compatibilities(t, task):
            yield rule.hit(f"ECS task definition '{task.logical_id}' can only run on EC2 "
                           f"instances ({what}): " + ADVICE, place, task.logical_id, when=when)


BREAKER = ("DeploymentConfiguration", "DeploymentCircuitBreaker")


def _truth(value: Any) -> bool | None:
    """True or False for a written or absent boolean, None when it cannot be known."""
    if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
        return True
    if value in (False, None, NO_VALUE) or (isinstance(value, str) and
                                            value.strip().lower() == "false"):
        return False
    return None


def _shown(value: Any) -> str:
    return "absent" if value in (None, NO_VALUE) else str(value).lower()


def _is_or_absent(value: Any, name: str) -> bool:
    return value is None or value is NO_VALUE or _is(value, name)


def _written(service: Resource, keys: tuple[str, ...]) -> Path | None:
    """The path of `keys` below the properties as far as plain mappings go, or None when the
    circuit breaker itself is not written (the finding is then at the logical id)."""
    node: Any = service.properties
    reached: list[str] = []
    for key in keys:
        if not isinstance(node, dict) or key not in node or \
                any(k.startswith("Fn::") for k in node):
            break
        node, reached = node[key], [*reached, key]
    return (*service.properties_path, *reached) if len(reached) >= len(BREAKER) else None


def ecs_service_without_circuit_breaker(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for service in t.of_type(SERVICE):
        config = t.prop(service, "DeploymentConfiguration")
        cases = combine(
            t.values_along(t.prop(service, "DeploymentController"), ("Type",)),
            t.values_along(config, ("Strategy",)),
            t.values_along(config, (BREAKER[1],)),
            t.values_along(config, (BREAKER[1], "Enable")),
            t.values_along(config, (BREAKER[1], "Rollback")))
        for (controller, strategy, breaker, enable, rollback), when in cases:
            if not (_is_or_absent(controller, "ECS") and _is_or_absent(strategy, "ROLLING")):
                continue
            off = [key for key, value in (("Enable", enable), ("Rollback", rollback))
                   if _truth(value) is False]
            if not off:
                continue
            path = _written(service, (*BREAKER, off[0]))
            settings = {"Enable": enable, "Rollback": rollback}
            state = ("has no DeploymentCircuitBreaker" if breaker in (None, NO_VALUE) else
                     "has a DeploymentCircuitBreaker with " + " and ".join(
                         f"{key} {_shown(settings[key])}" for key in off))
            yield rule.hit(
                f"ECS service '{service.logical_id}' deploys by rolling update and {state}, so "
                "nothing stops and rolls back a release whose tasks never become healthy: set "
                "DeploymentConfiguration.DeploymentCircuitBreaker to Enable: true and "
                "Rollback: true",
                Place(path) if path is not None else Place(service.path, key=True),
                service.logical_id, when=when)
