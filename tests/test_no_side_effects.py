"""No side effects: no network, no template content executed, no code from user rule folders,
and `--output` written atomically (never a truncated report)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from awslint_rules import cli
from awslint_rules.catalog import CatalogError, load_catalog
from awslint_rules.cli import main
from awslint_rules.engine import Settings, lint_bytes

from .conftest import FIXTURES, ROOT, invoke, run_cli

EXAMPLES = ROOT / "examples"

# Content that would do something if a loader constructed Python objects or ran code.
EXECUTABLE = b"""AWSTemplateFormatVersion: "2010-09-09"
Metadata:
  a: !!python/object/apply:os.system ["touch pwned-system"]
  b: !!python/object/new:subprocess.Popen [["touch", "pwned-popen"]]
  c: !!python/name:os.system
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ZipFile: "import os; os.system('touch pwned-zipfile')"}
      Handler: !Sub "${AWS::Region}"
      Timeout: !!python/object/apply:builtins.eval ["__import__('os').system('touch pwned-eval')"]
"""

NO_NETWORK = """
import socket
class _NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("the linter opened a socket")
def _refuse(*args, **kwargs):
    raise RuntimeError("the linter opened a network connection")
socket.socket = _NoNetwork
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


class _Refused(Exception):
    pass


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise _Refused("network use")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.slow  # lints every fixture in four formats
def test_in_process_without_sockets(no_network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for output_format in ("text", "json", "sarif", "github"):
        result = invoke("--format", output_format, str(FIXTURES), str(EXAMPLES))
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)
        assert result.exit_code in (0, 1), result.output
    explain = CliRunner().invoke(main, ["explain", "WA3002"])
    assert explain.exit_code == 0


@pytest.mark.slow  # lints every fixture in a subprocess
def test_in_a_subprocess_with_sockets_disabled(tmp_path):
    done = run_cli("--format", "sarif", "-o", str(tmp_path / "out.sarif"), str(FIXTURES),
                   str(EXAMPLES), cwd=tmp_path, prelude=NO_NETWORK, timeout=300)
    assert "socket" not in done.stderr and "network" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert json.loads((tmp_path / "out.sarif").read_text())["runs"]


def test_template_content_is_never_executed(settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = lint_bytes("t.yaml", EXECUTABLE, settings)
    assert "EA0001" not in [f.rule for f in result.findings]
    (tmp_path / "t.yaml").write_bytes(EXECUTABLE)
    invoke("t.yaml")
    assert not list(tmp_path.glob("pwned*"))


def test_a_user_rule_folder_cannot_name_python_code(tmp_path):
    (tmp_path / "WU9001.yaml").write_text(
        "id: WU9001\nname: sneaky\nsummary: runs code\ncheck: sqs:queue_without_dlq\n")
    with pytest.raises(CatalogError, match="declarative"):
        load_catalog([str(tmp_path)])
    result = invoke("--rules-dir", str(tmp_path), str(EXAMPLES))
    assert result.exit_code == 2 and "declarative" in result.output


def test_a_declarative_user_rule_is_still_accepted(tmp_path):
    (tmp_path / "WU9002.yaml").write_text(
        "id: WU9002\nname: queue\nsummary: a queue\nmatch: {resource_type: AWS::SQS::Queue}\n")
    catalog = load_catalog([str(tmp_path)])
    assert "WU9002" in catalog
    raw = b"AWSTemplateFormatVersion: x\nResources:\n  Q: {Type: AWS::SQS::Queue}\n"
    findings = lint_bytes("t.yaml", raw, Settings(catalog)).findings
    assert "WU9002" in {f.rule for f in findings}


def test_python_rules_are_only_loaded_from_the_package():
    for rule_id, check in Settings(load_catalog()).checks.items():
        assert check.__module__.startswith("awslint_rules.checks."), rule_id


def _fail_after(count: int):
    """An fdopen() whose write() writes `count` characters, then fails as a full disk would."""
    real_fdopen = os.fdopen

    def factory(*args, **kwargs):
        handle = real_fdopen(*args, **kwargs)
        original = handle.write

        def write(text):
            original(text[:count])
            handle.flush()
            raise OSError(28, "No space left on device")

        handle.write = write
        return handle

    return factory


def _previous_report(tmp_path: Path) -> Path:
    target = tmp_path / "report.sarif"
    target.write_text('{"previous": "complete report"}')
    return target


def test_output_is_not_truncated_when_the_write_fails(tmp_path, monkeypatch):
    target = _previous_report(tmp_path)
    monkeypatch.setattr(cli.os, "fdopen", _fail_after(100))
    result = invoke("--format", "sarif", "-o", str(target), str(EXAMPLES))
    assert result.exit_code != 0
    assert target.read_text() == '{"previous": "complete report"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif"]  # no stray temp file


def test_output_is_untouched_when_rendering_fails(tmp_path, monkeypatch):
    target = _previous_report(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr("awslint_rules.sarif.sarif_report", broken)
    result = invoke("--format", "sarif", "-o", str(target), str(EXAMPLES))
    assert result.exit_code != 0
    assert target.read_text() == '{"previous": "complete report"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_into_a_read_only_folder_leaves_nothing(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = invoke("--format", "sarif", "-o", str(folder / "out.sarif"), str(EXAMPLES))
        assert result.exit_code != 0
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_a_complete_output_replaces_the_old_one(tmp_path):
    target = _previous_report(tmp_path)
    result = invoke("--format", "sarif", "-o", str(target), str(EXAMPLES))
    assert result.exit_code in (0, 1)
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif"]
