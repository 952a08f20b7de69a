"""Which files to lint: explicit files, directories (recursively) and globs; `-` is stdin."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
SKIPPED_DIRS = frozenset({"node_modules", ".aws-sam", "cdk.out", "__pycache__"})
NOT_A_TEMPLATE_NAME = f"not a template extension ({', '.join(TEMPLATE_SUFFIXES)})"


@dataclass
class Discovery:
    """What the arguments name. Unpacks as `(files, missing)`."""

    files: list[str] = field(default_factory=list)  # to lint, in a stable order
    missing: list[str] = field(default_factory=list)  # arguments that name nothing
    # directory arguments -> the files found under them (before deduplication)
    directories: dict[str, list[str]] = field(default_factory=dict)
    # (path, reason) of what a directory walk passed over, for `--verbose`
    passed_over: list[tuple[str, str]] = field(default_factory=list)

    def __iter__(self) -> Iterator[list[str]]:
        return iter((self.files, self.missing))


def discover(arguments: Iterable[str]) -> Discovery:
    """The files to lint in a stable order, and the arguments that matched nothing (an existing
    directory without template files is not missing: it is in `directories` with no file)."""
    result = Discovery()
    seen: set[str] = set()
    for argument in arguments:
        if os.path.isdir(argument):
            found = list(_walk(argument, result.passed_over))
            result.directories[argument] = found
        else:
            found = list(_expand(argument, result))
            if not found:
                result.missing.append(argument)
        for file in found:
            identity = os.path.normpath(file)  # `./t.yaml` and `t.yaml` are one file
            if identity not in seen:
                seen.add(identity)
                result.files.append(file)
    return result


def _expand(argument: str, result: Discovery) -> Iterator[str]:
    if argument == "-" or os.path.isfile(argument):
        yield argument
    elif os.path.isdir(argument):
        yield from _walk(argument, result.passed_over)
    elif glob.has_magic(argument):
        for match in sorted(glob.glob(argument, recursive=True)):
            yield from _expand(match, result) if os.path.isdir(match) else [match]


def _walk(directory: str, passed_over: list[tuple[str, str]]) -> Iterator[str]:
    for root, dirs, names in os.walk(directory):
        kept = []
        for name in sorted(dirs):
            if name.startswith("."):
                passed_over.append((os.path.join(root, name), "hidden folder"))
            elif name in SKIPPED_DIRS:
                passed_over.append((os.path.join(root, name),
                                    "build output or dependencies folder"))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if name.endswith(TEMPLATE_SUFFIXES):
                yield os.path.join(root, name)
            else:
                passed_over.append((os.path.join(root, name), NOT_A_TEMPLATE_NAME))
