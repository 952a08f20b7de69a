"""ECS: services and task definitions that run on EC2 instances rather than Fargate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..catalog import Rule
from ..findings import Hit, Place
from ..intrinsics import Branch, Located, alternatives, items, merge_conditions
from ..model import Model
from ..template import Resource, Template

SERVICE = "AWS::ECS::Service"
TASK_DEFINITION = "AWS::ECS::TaskDefinition"
CAPACITY_PROVIDER = "AWS::ECS::CapacityProvider"
ADVICE = ("Fargate runs the tasks without EC2 instances to patch, scale and pack; use "
          "LaunchType FARGATE (or the FARGATE capacity providers) unless the workload needs "
          "what only EC2 offers (GPUs, daemon tasks, privileged containers...)")


def _is(value: Any, name: str) -> bool:
    return isinstance(value, str) and value.strip().upper() == name


def _values(t: Template, side: Located) -> list[Branch]:
    found = []
    for branch in t.branches(side.value):
        merged = merge_conditions(side.conditions, branch.conditions)
        if merged is not None:
            found.append(Branch(branch.value, merged))
    return found


def _launch_types(t: Template, service: Resource) -> Iterator[tuple[Place, Any, str]]:
    """(where, conditions, what) for each way the service runs on EC2."""
    path = (*service.properties_path, "LaunchType")
    for side in alternatives(service.properties.get("LaunchType"), path, (),
                             t.known_conditions):
        for branch in _values(t, side):
            if _is(branch.value, "EC2"):
                yield Place(side.path), branch.conditions, "LaunchType EC2"
    path = (*service.properties_path, "CapacityProviderStrategy")
    for item in items(service.properties.get("CapacityProviderStrategy"), path, (),
                      t.known_conditions):
        if not isinstance(item.value, dict):
            continue
        provider = t.resource_at(item.value.get("CapacityProvider"))
        if provider is not None and provider.type == CAPACITY_PROVIDER and \
                "AutoScalingGroupProvider" in provider.properties:
            yield (Place((*item.path, "CapacityProvider")), item.conditions,
                   f"capacity provider '{provider.logical_id}' of an Auto Scaling group")


def _compatibilities(t: Template, task: Resource) -> Iterator[tuple[Place, Any, str]]:
    """A task definition that can only run on EC2: RequiresCompatibilities has EC2, no FARGATE."""
    path = (*task.properties_path, "RequiresCompatibilities")
    for listing in alternatives(task.properties.get("RequiresCompatibilities"), path, (),
                                t.known_conditions):
        entries = items(listing.value, listing.path, listing.conditions, t.known_conditions) \
            if isinstance(listing.value, list) else []
        names = [(entry, branch) for entry in entries for branch in _values(t, entry)]
        if any(not isinstance(branch.value, str) for _, branch in names):
            continue  # an unknown entry may be FARGATE
        if any(_is(branch.value, "FARGATE") for _, branch in names):
            continue
        for entry, branch in names:
            if _is(branch.value, "EC2"):
                yield Place(entry.path), branch.conditions, "RequiresCompatibilities EC2"


def ecs_ec2_launch_type(m: Model, rule: Rule) -> Iterator[Hit]:
    t = m.template
    for service in t.of_type(SERVICE):
        for place, when, what in _launch_types(t, service):
            yield rule.hit(f"ECS service '{service.logical_id}' runs on EC2 instances ({what}): "
                           + ADVICE, place, service.logical_id, when=when)
    for task in t.of_type(TASK_DEFINITION):
        for place, when, what in _compatibilities(t, task):
            yield rule.hit(f"ECS task definition '{task.logical_id}' can only run on EC2 "
                           f"instances ({what}): " + ADVICE, place, task.logical_id, when=when)
