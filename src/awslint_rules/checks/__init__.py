"""Checks grouped by service: `(template, rule) -> Iterator[Hit]`, no parsing, no output."""

from __future__ import annotations

from ..findings import Place
from ..graph import Edge
from ..template import Value


def at_value(value: Value, message: str = "") -> Place:
    """The value itself, or the resource's logical id when an AWS default stands in for it."""
    return Place(value.path, key=value.default, message=message)


def at_edge(edge: Edge, message: str) -> Place:
    """Where a wiring is declared: a SAM event or mapping by its key, an item by its value."""
    return Place(edge.path, key=isinstance(edge.path[-1], str), message=message)


def seconds(number: float, default: bool) -> str:
    """'60 s', or '30 s (default 30)' when an AWS default stands in for the property."""
    text = f"{number:g} s"
    return f"{text} (default {number:g})" if default else text
