"""Findings: what a check reports (Hit, by template path) and what the engine emits (Finding)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .intrinsics import Conditions, describe
from .load import Path, Span

LEVELS = ("info", "warning", "error")
FAIL_LEVELS = (*LEVELS, "never")
LEVEL_OF_PREFIX = {"E": "error", "W": "warning", "I": "info"}


@dataclass(frozen=True)
class Place:
    """A template path to locate: the value there, or its key (a logical id, an event name)."""

    path: Path
    key: bool = False
    message: str = ""


@dataclass(frozen=True)
class Hit:
    """One violation as a check sees it: paths, not lines."""

    message: str
    at: Place
    resource: str | None
    related: tuple[Place, ...] = ()
    when: Conditions = ()

    @property
    def full_message(self) -> str:
        condition = describe(self.when)
        return f"{self.message} ({condition})" if condition else self.message


@dataclass(frozen=True)
class Related:
    file: str
    span: Span
    message: str


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    message: str
    file: str
    span: Span
    resource: str | None = None
    path: Path = ()
    related: tuple[Related, ...] = field(default=())
    fingerprint: str = ""
    construct: str | None = None  # the CDK construct path of `resource` (aws:cdk:path)

    @property
    def sort_key(self) -> tuple[str, Span, str, str]:
        return (self.file, self.span, self.rule, self.message)


def fingerprint(rule: str, file: str, resource: str | None, path: Path, extra: str = "") -> str:
    """Stable across edits that only move lines: rule, file, logical id and property path."""
    text = "\x1f".join([rule, file, resource or "", "/".join(map(str, path)), extra])
    return hashlib.sha256(text.encode()).hexdigest()[:32]
