"""Hostile input: each gives a clear EA0000 (or a one-line error for an unreadable path) within
a bounded time and memory, and the other files' results are still reported.

Files go through the real CLI in a subprocess, with an address-space limit, so a runaway parse
would fail the test rather than the machine. Time is only guarded (a subprocess timeout or an
alarm, generous because CI machines are slow), never measured: the clear error is the proof.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import pytest

from awslint_rules.engine import lint_bytes

from .conftest import ROOT, deadline, run_cli

MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for the linter process

_cli = functools.partial(run_cli, memory_limit=MEMORY_LIMIT)

GOOD = b"""AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Jobs:
    Type: AWS::SQS::Queue
"""  # IA3004: a queue without a RedrivePolicy


def _alias_bomb() -> bytes:
    lines = [b'AWSTemplateFormatVersion: "2010-09-09"', b"a: &a [lol, lol, lol, lol, lol, lol]"]
    previous = "a"
    for name in "bcdefghij":
        refs = ",".join([f"*{previous}"] * 9)
        lines.append(f"{name}: &{name} [{refs}]".encode())
        previous = name
    lines += [b"Resources:", b"  Q: {Type: AWS::SQS::Queue, Properties: {Tags: *j}}", b""]
    return b"\n".join(lines)


HOSTILE = {
    "alias_bomb.yaml": _alias_bomb(),
    "deep_flow.yaml": b'AWSTemplateFormatVersion: "2010-09-09"\nResources: '
    + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "deep_block.yaml": b'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n'
    + b"".join(b" " * (i + 1) + b"k:\n" for i in range(10_000)),
    "deep.json": b'{"AWSTemplateFormatVersion": "2010-09-09", "Resources": '
    + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001,
    "binary_template.yaml": b"AWSTemplateFormatVersion: x\n" + bytes(range(256)) * 64,
    "invalid_utf8.yaml": GOOD + b"  Other:\n    Type: AWS::SQS::Queue\xff\xfe\n",
    "recursive_alias.yaml": b"AWSTemplateFormatVersion: x\nResources: &r {Q: *r}\n",
}


def _by_file(stdout: str) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for finding in json.loads(stdout):
        rules.setdefault(Path(finding["file"]).name, []).append(finding["rule"])
    return rules


def test_every_hostile_file_is_a_clear_parse_error_and_the_good_file_still_reports(tmp_path):
    for name, raw in HOSTILE.items():
        (tmp_path / name).write_bytes(raw)
    (tmp_path / "good.yaml").write_bytes(GOOD)
    done = _cli("--format", "json", ".", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    found = _by_file(done.stdout)
    assert found["good.yaml"] == ["IA3004"]
    for name in HOSTILE:
        assert found.get(name) == ["EA0000"], (name, found.get(name))
    messages = {Path(f["file"]).name: f["message"] for f in json.loads(done.stdout)}
    assert "alias bomb" in messages["alias_bomb.yaml"]
    assert "NUL" in messages["binary_template.yaml"]
    assert "invalid UTF-8" in messages["invalid_utf8.yaml"]


def test_a_binary_file_named_yaml_is_a_parse_error_and_the_others_still_report(tmp_path):
    (tmp_path / "random.yaml").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 256)
    (tmp_path / "good.yaml").write_bytes(GOOD)
    done = _cli("--format", "json", ".", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert _by_file(done.stdout) == {"good.yaml": ["IA3004"], "random.yaml": ["EA0000"]}
    binary = next(f for f in json.loads(done.stdout) if f["rule"] == "EA0000")
    assert "binary" in binary["message"] and (binary["line"], binary["column"]) == (3, 1)


@pytest.mark.slow
def test_a_5_mb_template_lints_in_bounded_time_and_memory(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from make_large_template import make_template
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    text = make_template(13_300)
    assert len(text.encode()) >= 5 * 1024 * 1024
    (tmp_path / "big.yaml").write_text(text)
    (tmp_path / "good.yaml").write_bytes(GOOD)
    done = _cli("--format", "json", ".", cwd=tmp_path)
    found = _by_file(done.stdout)
    assert found["good.yaml"] == ["IA3004"]
    assert "EA0001" not in found["big.yaml"] and "EA0000" not in found["big.yaml"]
    assert len(found["big.yaml"]) > 1000


def test_too_large_file_is_refused(settings):
    raw = b'AWSTemplateFormatVersion: "2010-09-09"\n' + b"#" * (51 * 1024 * 1024)
    result = lint_bytes("huge.yaml", raw, settings)
    assert [f.rule for f in result.findings] == ["EA0000"]
    assert "larger than" in result.findings[0].message


def _unreadable(path: Path) -> None:
    """A path that exists but cannot be read, even by root (who ignores file modes)."""
    if os.geteuid() == 0:
        path.symlink_to("/proc/self/mem")  # reading offset 0 fails with EIO
    else:
        path.write_bytes(GOOD)
        path.chmod(0)


def test_an_unreadable_file_is_one_line_and_the_rest_is_reported(tmp_path):
    _unreadable(tmp_path / "locked.yaml")
    (tmp_path / "good.yaml").write_bytes(GOOD)
    done = _cli("--format", "json", "locked.yaml", "good.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert _by_file(done.stdout) == {"good.yaml": ["IA3004"]}
    errors = [line for line in done.stderr.splitlines() if "locked.yaml" in line]
    assert len(errors) == 1 and "cannot read" in errors[0], done.stderr
    text = _cli("-v", "locked.yaml", "good.yaml", cwd=tmp_path)
    assert text.stdout.splitlines()[-1].endswith("in 1 template; 1 file unreadable")
    assert sum("locked.yaml" in line for line in text.stderr.splitlines()) == 1  # not twice


def test_a_file_that_disappears_while_linting(tmp_path):
    for name in ("a.yaml", "gone.yaml", "z.yaml"):
        (tmp_path / name).write_bytes(GOOD)
    stage = (
        "import os, awslint_rules.discover as d\n"
        "_real = d.discover\n"
        "def discover(paths):\n"
        "    found = _real(paths)\n"
        "    os.remove('gone.yaml')  # after discovery, before it is read\n"
        "    return found\n"
        "d.discover = discover\n"
    )
    done = _cli("--format", "json", ".", cwd=tmp_path, prelude=stage)
    assert done.returncode == 2
    assert _by_file(done.stdout) == {"a.yaml": ["IA3004"], "z.yaml": ["IA3004"]}
    errors = [line for line in done.stderr.splitlines() if "gone.yaml" in line]
    assert len(errors) == 1 and "cannot read" in errors[0], done.stderr


def test_a_rule_that_raises_gives_ea0001_and_a_failing_exit_code(tmp_path):
    (tmp_path / "good.yaml").write_bytes(GOOD)
    stage = (
        "import awslint_rules.checks.sqs as s\n"
        "def broken(t, rule):\n"
        "    raise ZeroDivisionError('boom')\n"
        "s.queue_without_dlq = broken\n"
    )
    done = _cli("--format", "json", "--fail-level", "error", "good.yaml", cwd=tmp_path,
                prelude=stage)
    findings = json.loads(done.stdout)
    assert [f["rule"] for f in findings] == ["EA0001"]
    assert "IA3004" in findings[0]["message"] and "ZeroDivisionError" in findings[0]["message"]
    assert done.returncode == 1, done.stderr  # EA0001 is an error: fails at --fail-level error


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_inputs_in_process(settings, name):
    with deadline():
        result = lint_bytes(name, HOSTILE[name], settings)
    assert [f.rule for f in result.findings] == ["EA0000"]


# -- reproducers found by scripts/mutation_fuzz.py ------------------------------------------------

MUTATION_REPRODUCERS = {
    # a merge source with a non-scalar key: Document.locate indexed it by an unhashable key
    "merge key with a sequence key": b"""AWSTemplateFormatVersion: x
Resources:
  Q:
    <<: {[a]: 1, Type: AWS::SQS::Queue}
""",
}


@pytest.mark.parametrize("name", sorted(MUTATION_REPRODUCERS))
def test_mutation_reproducers(settings, name):
    result = lint_bytes("t.yaml", MUTATION_REPRODUCERS[name], settings)
    assert "EA0001" not in [f.rule for f in result.findings]
