"""The rule catalog: one YAML file per rule in `rules/` (shipped in the package as `catalog/`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from .aws_defaults import AWS_DEFAULTS
from .findings import LEVEL_OF_PREFIX, LEVELS, Hit, Place

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

BUILTIN_DIR = FsPath(__file__).parent / "catalog"
INDEX = BUILTIN_DIR / "_index.json"
ENGINE_CHECKS = ("engine:parse", "engine:internal", "engine:suppressions", "engine:duplicates")
ALL = "ALL"  # the `select` pattern of every rule, the off-by-default ones included


class CatalogError(Exception):
    pass


# Entries only `explain`, SARIF and the README read: a built-in rule's file is parsed without
# them, and they are parsed on first use (every run pays for the catalog at start-up).
DEFERRED_KEYS = ("brief", "notes", "why", "example", "use_instead")
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:", re.M)


@dataclass
class Rule:
    id: str
    name: str
    level: str
    summary: str
    head: dict[str, Any]  # the entries a run reads (every entry, for a user rule)
    options: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # the YAML file it was read from
    text: str = ""  # a built-in rule's file, whose DEFERRED_KEYS entries are parsed on first use
    _doc: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def doc(self) -> dict[str, Any]:
        """Every entry of the rule's file."""
        if self._doc is None:
            rest = yaml.load(split_deferred(self.text)[1], Loader=_Loader) if self.text else None
            self._doc = {**self.head, **rest} if isinstance(rest, dict) else self.head
        return self._doc

    @property
    def check_name(self) -> str | None:
        return self.head.get("check")

    @property
    def builtin(self) -> bool:
        return FsPath(self.source).parent == BUILTIN_DIR

    @property
    def on_by_default(self) -> bool:
        return self.head.get("on_by_default", True) is not False

    @property
    def tags(self) -> list[str]:
        return [str(tag).lower() for tag in self.head.get("tags") or ()]

    @property
    def match(self) -> dict[str, Any] | None:
        return self.head.get("match")

    @property
    def docs_url(self) -> str | None:
        """The first AWS page the rule cites (SARIF helpUri, cfn-lint source_url)."""
        docs = self.head.get("aws_docs") or []
        first = docs[0] if docs else None
        return first.get("url") if isinstance(first, dict) else None

    def option(self, name: str) -> Any:
        return self.options[name]

    def hit(
        self,
        message: str,
        at: Place,
        resource: str | None,
        related: Iterable[Place] = (),
        when: tuple[tuple[str, bool], ...] = (),
    ) -> Hit:
        return Hit(message, at, resource, tuple(related), when)


def names_rule(pattern: str, rule: Rule) -> bool:
    """Whether `pattern` names `rule` as `ALL`, its exact id or one of its tags."""
    text = pattern.strip()
    return text.upper() in (ALL, rule.id) or text.lower() in rule.tags


def selects(pattern: str, rule: Rule) -> bool:
    """Whether a `select` pattern switches `rule` on: `ALL`, its id or a tag of it does; an id
    prefix only for a rule that is on by default, so `IA` means what it meant before."""
    if names_rule(pattern, rule):
        return True
    return rule.on_by_default and rule.id.startswith(pattern.strip().upper())


def ignores(pattern: str, rule: Rule) -> bool:
    """Whether an `ignore` pattern (`ALL`, an id, a prefix or a tag) switches `rule` off."""
    return names_rule(pattern, rule) or rule.id.startswith(pattern.strip().upper())


def selected_rules(rules: Mapping[str, Rule], select: Iterable[str], ignore: Iterable[str],
                   extend_select: Iterable[str] = ()) -> dict[str, Rule]:
    """The rules a run reports, chosen as ruff chooses them: `select` (default: the rules that
    are on by default), plus `extend_select`, minus `ignore`."""
    select, ignore, extend = list(select), list(ignore), list(extend_select)
    chosen = {}
    for rule_id, rule in rules.items():
        base = any(selects(p, rule) for p in select) if select else rule.on_by_default
        if ((base or any(selects(p, rule) for p in extend))
                and not any(ignores(p, rule) for p in ignore)):
            chosen[rule_id] = rule
    return chosen


def unmatched_pattern(patterns: Iterable[str], rules: Mapping[str, Rule]) -> str | None:
    """The first `select`/`ignore` pattern (`ALL`, an id, an id prefix or a tag) that names no
    rule."""
    for pattern in patterns:
        if not any(ignores(pattern, rule) for rule in rules.values()):
            return pattern
    return None


def load_catalog(extra_dirs: Iterable[str] = ()) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    index = _index()
    for directory in (BUILTIN_DIR, *map(FsPath, extra_dirs)):
        if not directory.is_dir():
            raise CatalogError(f"rule folder not found: {directory}")
        for file in sorted(directory.glob("*.yaml")):
            rule = _rule_from_file(file, index if directory == BUILTIN_DIR else None)
            if directory != BUILTIN_DIR and "check" in rule.head:
                raise CatalogError(f"{file}: a rule of a user folder must be declarative "
                                   "('match:'); 'check:' names built-in code only")
            if rule.id in rules:
                raise CatalogError(f"{file}: rule id {rule.id} is defined twice")
            rules[rule.id] = rule
    return dict(sorted(rules.items(), key=lambda item: (item[0][2:], item[0])))


def _rule_from_file(file: FsPath, index: Mapping[str, Any] | None) -> Rule:
    """A rule from its file; a built-in one (`index` given) from its head in the index when the
    index was built from this very text, else from the text's head entries."""
    try:
        text = file.read_text(encoding="utf-8")
        doc = _indexed_head(index, file.name, text) if index is not None else None
        if doc is None:
            doc = yaml.load(split_deferred(text)[0] if index is not None else text,
                            Loader=_Loader)
    except (OSError, yaml.YAMLError) as error:
        raise CatalogError(f"{file}: {error}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise CatalogError(f"{file}: a rule needs an 'id'")
    rule_id = doc["id"]
    level = doc.get("level", LEVEL_OF_PREFIX.get(rule_id[:1], ""))
    if level not in LEVELS or LEVEL_OF_PREFIX.get(rule_id[:1]) != level:
        raise CatalogError(f"{file}: level '{level}' does not match the id's first letter")
    if "check" not in doc and "match" not in doc:
        raise CatalogError(f"{file}: a rule needs a 'check' or a 'match'")
    declared = doc.get("options") or {}
    if not isinstance(declared, dict) or not all(isinstance(s, dict) for s in declared.values()):
        raise CatalogError(f"{file}: 'options' must map each option to {{default, description}}")
    options = {name: spec.get("default") for name, spec in declared.items()}
    _check_defaults(file, doc.get("defaults"))
    if not isinstance(doc.get("on_by_default", True), bool):
        raise CatalogError(f"{file}: on_by_default: must be true or false")
    check = doc.get("check")
    if check is not None and (not isinstance(check, str) or ":" not in check):
        raise CatalogError(f"{file}: check: '{check}' is not 'module:function'")
    return Rule(rule_id, doc.get("name", rule_id), level, doc.get("summary", ""), doc, options,
                str(file), text if index is not None else "")


def _index() -> dict[str, Any]:
    """The generated index of the built-in rules' heads (scripts/catalog_index.py): parsing 90
    YAML heads costs a run's start-up ~30 ms, reading their JSON under 1 ms."""
    try:
        index = json.loads(INDEX.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return index if isinstance(index, dict) else {}


def _indexed_head(index: Mapping[str, Any], name: str, text: str) -> dict[str, Any] | None:
    entry = index.get(name)
    if not isinstance(entry, dict) or entry.get("sha1") != text_digest(text):
        return None  # not indexed, or edited since: parsed from the file
    head = entry.get("head")
    return head if isinstance(head, dict) else None


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def build_index() -> dict[str, Any]:
    """The index of the built-in rules as their files are now: name -> text digest and head."""
    index = {}
    for file in sorted(BUILTIN_DIR.glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        head = yaml.load(split_deferred(text)[0], Loader=_Loader)
        if json.loads(json.dumps(head)) == head:  # only what JSON keeps as it is
            index[file.name] = {"sha1": text_digest(text), "head": head}
    return index


def split_deferred(text: str) -> tuple[str, str]:
    """(head, deferred): a rule file's top-level entries split into those a run reads and the
    DEFERRED_KEYS ones. A top-level key starts a line; everything else is indented below it."""
    starts = [(m.start(), m.group(1)) for m in _TOP_LEVEL_KEY.finditer(text)]
    if not starts:
        return text, ""
    head, deferred = [text[:starts[0][0]]], []
    for (start, key), end in zip(starts, [s for s, _ in starts[1:]] + [len(text)], strict=True):
        (deferred if key in DEFERRED_KEYS else head).append(text[start:end])
    return "".join(head), "".join(deferred)


def _check_defaults(file: FsPath, defaults: Any) -> None:
    """`defaults:` lists keys of the one AWS defaults table (aws_defaults.py)."""
    if defaults is None:
        return
    if not isinstance(defaults, list):
        raise CatalogError(f"{file}: defaults: must be a list of 'Type.Property' keys")
    unknown = [key for key in defaults if key not in AWS_DEFAULTS]
    if unknown:
        raise CatalogError(f"{file}: defaults: {', '.join(map(str, unknown))} not in the AWS "
                           "defaults table (src/awslint_rules/aws_defaults.py)")


def rule_defaults(rule: Rule) -> dict[str, Any]:
    """The AWS defaults a rule relies on, with their values."""
    return {key: AWS_DEFAULTS[key] for key in rule.head.get("defaults") or ()}


def _docs_lines(rule: Rule) -> list[tuple[str, str]]:
    return [
        (entry.get("url", ""), entry.get("says", ""))
        for entry in rule.doc.get("aws_docs") or []
        if isinstance(entry, dict)
    ]


def _notes(rule: Rule) -> list[str]:
    notes = rule.doc.get("notes") or []
    return [notes] if isinstance(notes, str) else [str(n) for n in notes]


def rule_text(rule: Rule) -> str:
    """Plain-text documentation, as `awslint-rules explain` prints it."""
    parts = [f"{rule.id} {rule.name} ({rule.level})", "", rule.summary.strip(), "",
             default_state(rule)]
    if _notes(rule):
        parts += ["", "Notes: " + "; ".join(f'"{n}"' for n in _notes(rule))]
    if rule.doc.get("why"):
        parts += ["", "Why is this bad?", rule.doc["why"].strip()]
    for title, key in (("Example", "example"), ("Use instead", "use_instead")):
        if rule.doc.get(key):
            parts += ["", f"{title}:", _indent(rule.doc[key].rstrip())]
    if rule.options:
        parts += ["", "Options:"] + [f"  {k} (default {v})" for k, v in rule.options.items()]
    if rule_defaults(rule):
        parts += ["", "AWS defaults assumed when a property is absent:"]
        parts += [f"  {k}: {v}" for k, v in rule_defaults(rule).items()]
    if _docs_lines(rule):
        parts += ["", "AWS documentation:"]
        parts += [f"  {url}\n    \"{says}\"" for url, says in _docs_lines(rule)]
    return "\n".join(parts) + "\n"


def default_state(rule: Rule) -> str:
    """Whether the rule runs by default, and how to switch it on when not."""
    if rule.on_by_default:
        return "On by default."
    tags = ", ".join(rule.tags)
    return (f"Off by default: switch it on with its id ({rule.id}), one of its tags ({tags}) "
            "or ALL, in `select` or `extend-select` (an id prefix does not).")


def rule_markdown(rule: Rule) -> str:
    parts = [f"## {rule.id} {rule.name}", "", rule.summary.strip(), "", default_state(rule)]
    if rule.doc.get("why"):
        parts += ["", "### Why is this bad?", "", rule.doc["why"].strip()]
    for title, key in (("Example", "example"), ("Use instead", "use_instead")):
        if rule.doc.get(key):
            parts += ["", f"### {title}", "", "```yaml", rule.doc[key].rstrip(), "```"]
    if _notes(rule):
        parts += ["", "Notes: " + "; ".join(f"“{n}”" for n in _notes(rule))]
    if _docs_lines(rule):
        parts += ["", "### AWS documentation", ""]
        parts += [f"- [{url}]({url}): “{says}”" for url, says in _docs_lines(rule)]
    return "\n".join(parts) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.splitlines())
