"""Every rule fires exactly where its fixtures' expect.yaml says, in YAML and in JSON."""

from __future__ import annotations

import json

import pytest
import yaml
from cfn_flip import to_json

from awslint_rules.engine import lint_bytes

from .conftest import FIXTURES


def _cases() -> list[tuple[str, str, list[str]]]:
    cases = []
    for expect in sorted(FIXTURES.glob("*/expect.yaml")):
        rule = expect.parent.name
        for name, locations in (yaml.safe_load(expect.read_text()) or {}).items():
            cases.append((rule, name, [str(x) for x in locations or []]))
    return cases


CASES = _cases()


def _locations(settings, rule: str, file: str, raw: bytes) -> list[str]:
    result = lint_bytes(file, raw, settings)
    assert not [f for f in result.findings if f.rule == "EA0001"], result.findings
    return sorted(f"{f.span.line}:{f.span.column}" for f in result.findings if f.rule == rule)


def test_every_rule_has_fixtures(catalog):
    """EA0001 (a rule raised) cannot come from a template: tests/test_engine.py covers it."""
    covered = {rule for rule, _, _ in CASES}
    assert set(catalog) - covered == {"EA0001"}


def test_each_fixture_is_listed():
    listed = {(rule, name) for rule, name, _ in CASES}
    on_disk = {
        (path.parent.name, path.name)
        for path in FIXTURES.glob("*/*")
        if path.name != "expect.yaml"
    }
    assert on_disk - listed == set()


@pytest.mark.parametrize(("rule", "name", "expected"), CASES, ids=[f"{r}/{n}" for r, n, _ in CASES])
def test_fixture(settings, rule, name, expected):
    path = FIXTURES / rule / name
    assert _locations(settings, rule, str(path), path.read_bytes()) == sorted(expected)


YAML_CASES = [c for c in CASES if c[1].endswith((".yaml", ".yml")) and c[0] != "EA0000"]


@pytest.mark.parametrize(
    ("rule", "name", "expected"), YAML_CASES, ids=[f"{r}/{n}" for r, n, _ in YAML_CASES]
)
def test_fixture_as_json(settings, rule, name, expected):
    """The same template converted to JSON by cfn-flip gives the same number of findings."""
    path = FIXTURES / rule / name
    as_json = to_json(path.read_text(), clean_up=False)
    json.loads(as_json)
    found = _locations(settings, rule, str(path) + ".json", as_json.encode())
    assert len(found) == len(expected)
