"""Run the awslint-rules engine once per cfn-lint template and hand each rule its findings.

cfn-lint calls every rule's `match(cfn)` with the same `Template` object for one template, so
the first of our rules to run lints the file and the others read the cached result. The cache
holds one entry, keyed by the template's filename and the `Template` object's identity (kept
alive by the entry itself, so the identity cannot be reused while it is cached).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import defaultdict
from functools import cache
from typing import Any

from ..catalog import Rule, load_catalog, selected_rules
from ..engine import INTERNAL_ERROR, Settings, engine_finding, lint_bytes
from ..findings import Finding

_lock = threading.Lock()
_cache: dict[str, Any] = {}
_catalog: dict[str, Rule] = {}


def catalog() -> dict[str, Rule]:
    if not _catalog:
        _catalog.update(load_catalog())
    return _catalog


@cache
def _settings() -> Settings:
    """The checks of the rules on by default and of those the configuration file switches on,
    resolved once per process."""
    rules = catalog()
    running = {rule_id: rule for rule_id, rule in rules.items() if rule.on_by_default}
    running.update(_switched_on(rules))
    return Settings(running, known_rules=frozenset(rules))


def _switched_on(rules: dict[str, Rule]) -> dict[str, Rule]:
    """The off-by-default rules the configuration file (`.awslint-rules.yaml` or pyproject.toml,
    from the working directory upwards) selects: by id, tag or ALL, in `select` or
    `extend-select`, less its `ignore`. cfn-lint's own options cannot name them."""
    from ..config import ConfigError, find_config, load_config

    file = find_config()
    if file is None:
        return {}
    try:
        config = load_config(file)
    except ConfigError as error:
        print(f"awslint-rules: {error}; rules off by default stay off", file=sys.stderr)
        return {}
    off = {rule_id: rule for rule_id, rule in rules.items() if not rule.on_by_default}
    return selected_rules(off, config.select or (), config.ignore or (), config.extend_select)


class Result:
    """Findings of one template by rule id; `from_file` says whether spans are the file's lines."""

    def __init__(self, findings: list[Finding], from_file: bool) -> None:
        self.by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            self.by_rule[finding.rule].append(finding)
        self.from_file = from_file


def findings_for(cfn: Any) -> Result:
    filename = getattr(cfn, "filename", None)
    key = (filename, id(cfn))
    with _lock:
        if _cache.get("key") == key and _cache.get("template") is cfn:
            return _cache["result"]
        result = _lint(cfn, filename)
        _cache.update(key=key, template=cfn, result=result)
        return result


def _lint(cfn: Any, filename: str | None) -> Result:
    settings = _settings()
    raw, from_file = _source(cfn, filename)
    name = filename or "-"
    try:
        return Result(lint_bytes(name, raw, settings).findings, from_file)
    except Exception as error:  # the engine itself failed: one EA0001, not one error per rule
        message = f"awslint-rules failed on this template: {type(error).__name__}: {error}"
        return Result(engine_finding(settings, INTERNAL_ERROR, name, message), from_file)


def _source(cfn: Any, filename: str | None) -> tuple[bytes, bool]:
    """The file's own bytes (what the standalone run reads); else cfn-lint's decoded template."""
    if filename and os.path.isfile(filename):
        try:
            with open(filename, "rb") as handle:
                return handle.read(), True
        except OSError:
            pass
    return json.dumps(getattr(cfn, "template", {}), default=str).encode(), False
