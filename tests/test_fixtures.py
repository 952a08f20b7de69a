"""Every rule fires exactly where its fixtures' expect.yaml says, in YAML and in JSON."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import yaml
from cfn_flip import to_json

from awslint_rules.engine import lint_bytes
from awslint_rules.findings import Finding

from .conftest import FIXTURES


def _cases() -> list[tuple[str, str, list[str]]]:
    cases = []
    for expect in sorted(FIXTURES.glob("*/expect.yaml")):
        rule = expect.parent.name
        for name, locations in (yaml.safe_load(expect.read_text()) or {}).items():
            cases.append((rule, name, [str(x) for x in locations or []]))
    return cases


CASES = _cases()


def _findings(settings, rule: str, file: str, raw: bytes) -> list[Finding]:
    result = lint_bytes(file, raw, settings)
    assert not [f for f in result.findings if f.rule == "EA0001"], result.findings
    return [f for f in result.findings if f.rule == rule]


def _locations(settings, rule: str, file: str, raw: bytes) -> list[str]:
    return sorted(f"{f.span.line}:{f.span.column}" for f in _findings(settings, rule, file, raw))


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


def test_fixture_names_say_whether_the_rule_fires():
    """`pass_*` fixtures expect no finding, `fail_*` fixtures at least one; no other names."""
    misnamed = [
        f"{rule}/{name}: {expected or 'no finding'}"
        for rule, name, expected in CASES
        if not (name.startswith("pass_") and not expected)
        and not (name.startswith("fail_") and expected)
    ]
    assert misnamed == [], "rename these fixtures (pass_* expects [], fail_* a location)"


@pytest.mark.parametrize(("rule", "name", "expected"), CASES, ids=[f"{r}/{n}" for r, n, _ in CASES])
def test_fixture(settings, rule, name, expected):
    path = FIXTURES / rule / name
    assert _locations(settings, rule, str(path), path.read_bytes()) == sorted(expected)


# Not EA0000 (cfn-flip cannot read a broken file) nor EA0004 (cfn-flip keeps the last of a
# duplicated key, so the JSON it writes has none).
YAML_CASES = [c for c in CASES
              if c[1].endswith((".yaml", ".yml")) and c[0] not in ("EA0000", "EA0004")]


@pytest.mark.parametrize(
    ("rule", "name", "expected"), YAML_CASES, ids=[f"{r}/{n}" for r, n, _ in YAML_CASES]
)
def test_fixture_as_json(settings, rule, name, expected):
    """The same template converted to JSON by cfn-flip gives the same findings: rule, resource,
    template path and message (lines and columns differ between the two files)."""
    path = FIXTURES / rule / name
    as_json = to_json(path.read_text(), clean_up=False)
    json.loads(as_json)
    from_yaml = _findings(settings, rule, str(path), path.read_bytes())
    from_json = _findings(settings, rule, str(path) + ".json", as_json.encode())
    assert len(from_yaml) == len(expected)
    assert Counter(map(_identity, from_json)) == Counter(map(_identity, from_yaml))


def _identity(f: Finding) -> tuple[str, str | None, tuple[str | int, ...], str]:
    return (f.rule, f.resource, tuple(f.path), f.message)
