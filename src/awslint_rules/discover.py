"""Which files to lint: explicit files, directories (recursively) and globs; `-` is stdin."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
SKIPPED_DIRS = frozenset({"node_modules", ".aws-sam", "cdk.out", "__pycache__"})


def discover(arguments: Iterable[str]) -> tuple[list[str], list[str]]:
    """(files to lint in a stable order, arguments that matched nothing)."""
    files: list[str] = []
    missing: list[str] = []
    seen: set[str] = set()
    for argument in arguments:
        found = list(_expand(argument))
        if not found:
            missing.append(argument)
        for file in found:
            identity = os.path.normpath(file)  # `./t.yaml` and `t.yaml` are one file
            if identity not in seen:
                seen.add(identity)
                files.append(file)
    return files, missing


def _expand(argument: str) -> Iterator[str]:
    if argument == "-" or os.path.isfile(argument):
        yield argument
    elif os.path.isdir(argument):
        yield from _walk(argument)
    elif glob.has_magic(argument):
        for match in sorted(glob.glob(argument, recursive=True)):
            yield from _expand(match) if os.path.isdir(match) else [match]


def _walk(directory: str) -> Iterator[str]:
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(names):
            if name.endswith(TEMPLATE_SUFFIXES):
                yield os.path.join(root, name)
