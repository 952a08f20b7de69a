"""Which files to lint: explicit files, directories (recursively) and globs; `-` is stdin."""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
SKIPPED_DIRS = frozenset({"node_modules", ".aws-sam", "cdk.out", "__pycache__"})
NOT_A_TEMPLATE_NAME = f"not a template extension ({', '.join(TEMPLATE_SUFFIXES)})"
MANIFEST = "manifest.json"
NOT_A_STACK = f"not a stack template of the cloud assembly ({MANIFEST})"
NESTED_SUFFIX = ".nested.template.json"  # CDK's nested stack templates


@dataclass
class Discovery:
    """What the arguments name. Unpacks as `(files, missing)`."""

    files: list[str] = field(default_factory=list)  # to lint, in a stable order
    missing: list[str] = field(default_factory=list)  # arguments that name nothing
    # directory arguments -> the files found under them (before deduplication)
    directories: dict[str, list[str]] = field(default_factory=dict)
    # (path, reason) of what a directory walk passed over, for `--verbose`
    passed_over: list[tuple[str, str]] = field(default_factory=list)
    # cloud assembly manifest -> the templates of its stacks (nested ones included)
    assemblies: dict[str, list[str]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[list[str]]:
        return iter((self.files, self.missing))


def discover(arguments: Iterable[str]) -> Discovery:
    """The files to lint in a stable order, and the arguments that matched nothing (an existing
    directory without template files is not missing: it is in `directories` with no file)."""
    result = Discovery()
    seen: set[str] = set()
    for argument in arguments:
        if os.path.isdir(argument):
            found = list(_walk(argument, result.passed_over, result.assemblies))
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
    if os.path.basename(argument) == MANIFEST and os.path.isfile(argument):
        templates = _assembly(argument, result.passed_over, result.assemblies)
        yield from templates if templates is not None else [argument]
    elif argument == "-" or os.path.isfile(argument):
        yield argument
    elif os.path.isdir(argument):
        yield from _walk(argument, result.passed_over, result.assemblies)
    elif glob.has_magic(argument):
        for match in sorted(glob.glob(argument, recursive=True)):
            yield from _expand(match, result) if os.path.isdir(match) else [match]


def _walk(directory: str, passed_over: list[tuple[str, str]],
          assemblies: dict[str, list[str]]) -> Iterator[str]:
    for root, dirs, names in os.walk(directory):
        if MANIFEST in names:
            templates = _assembly(os.path.join(root, MANIFEST), passed_over, assemblies)
            if templates is not None:  # a cloud assembly: its stacks, not every JSON file
                dirs[:] = []
                yield from templates
                continue
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


def _assembly(manifest: str, passed_over: list[tuple[str, str]],
              assemblies: dict[str, list[str]], depth: int = 0) -> list[str] | None:
    """The stack templates a cloud assembly's manifest.json lists (with CDK's nested stack
    templates beside them, and those of nested assemblies, e.g. CDK stages); None when the file
    is not a cloud assembly manifest."""
    artifacts = _artifacts(manifest)
    if artifacts is None or depth > 8:
        return None
    directory = os.path.dirname(manifest)
    templates: list[str] = []
    inner_assemblies: set[str] = set()
    for artifact in artifacts.values():
        properties = artifact.get("properties") if isinstance(artifact, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        kind = artifact.get("type") if isinstance(artifact, dict) else None
        if kind == "aws:cloudformation:stack" and isinstance(properties.get("templateFile"), str):
            templates.append(os.path.join(directory, properties["templateFile"]))
        elif kind == "cdk:cloud-assembly" and isinstance(properties.get("directoryName"), str):
            inner = os.path.join(directory, properties["directoryName"], MANIFEST)
            inner_assemblies.add(os.path.normpath(os.path.dirname(inner)))
            templates += _assembly(inner, passed_over, assemblies, depth + 1) or []
    own = {os.path.normpath(t) for t in templates} | inner_assemblies
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith(NESTED_SUFFIX) and os.path.normpath(path) not in own:
            templates.append(path)
        elif os.path.normpath(path) not in own and name != MANIFEST:
            passed_over.append((path, NOT_A_STACK))
    assemblies[manifest] = [t for t in templates if os.path.dirname(t) == directory]
    return [t for t in templates if os.path.isfile(t)]


def _artifacts(manifest: str) -> dict | None:
    try:
        with open(manifest, "rb") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    return artifacts if isinstance(artifacts, dict) and "version" in data else None


def assembly_of(manifest: str) -> dict[str, list[str]]:
    """The templates of a cloud assembly, by manifest (its own and its stages'); {} when the
    file is not a cloud assembly manifest."""
    assemblies: dict[str, list[str]] = {}
    _assembly(manifest, [], assemblies)
    return assemblies
