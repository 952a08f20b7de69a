"""The stack as a whole: the 500-resource quota, counted after SAM expansion."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import Rule
from ..findings import Hit, Place
from ..model import Model
from ..sam_expansion import Expansion


def _counts(expansion: Expansion) -> str:
    if expansion.expanded == expansion.declared:
        return f"{expansion.declared} resources"
    return (
        f"{expansion.expanded} resources after SAM expansion "
        f"({expansion.declared} declared)"
    )


def stack_resource_limit(m: Model, rule: Rule) -> Iterator[Hit]:
    limit = rule.option("resource_limit")
    expansion = m.expansion
    if expansion.expanded > limit:
        yield rule.hit(
            f"The stack will hold {_counts(expansion)}: CloudFormation allows {limit} resources "
            "per stack, so the deployment fails; split it into nested stacks",
            Place(("Resources",), key=True),
            None,
        )


def stack_resource_limit_near(m: Model, rule: Rule) -> Iterator[Hit]:
    limit = rule.option("resource_limit")
    expansion = m.expansion
    if rule.option("near_ratio") * limit <= expansion.expanded <= limit:
        share = round(100 * expansion.expanded / limit)
        yield rule.hit(
            f"The stack will hold {_counts(expansion)}, {share}% of the {limit}-resource "
            "limit: a few more functions or events will break the deployment",
            Place(("Resources",), key=True),
            None,
        )
