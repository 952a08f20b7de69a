"""Problem matchers (GitHub Actions and VS Code) against real text output, and `--format github`.

The matchers' regular expressions are JavaScript (VS Code) and .NET (the Actions runner) syntax;
the ones shipped use only `^ $ ( ) .+? \\d + {4} [..] |`, which mean the same in Python's `re`,
so the test compiles them as they are.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from awslint_rules.findings import Finding
from awslint_rules.load import Span
from awslint_rules.report import github_report, short_message

from .conftest import FIXTURES, ROOT, run_cli

MATCHERS = ROOT / "matchers"
SAMPLES = ["EA0000/fail_invalid_yaml.yaml", "EA3001/fail_cfn.json", "IA3004/fail_plain_queue.yaml",
           "WA3002/fail_batching_window.yaml", "EA0000/pass_docker_compose.yaml"]
GITHUB_SEVERITY = {"error": "error", "warning": "warning", "info": "notice"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Real output of one run, as text, concise text and JSON (the reference), on paths with odd
    characters."""
    workspace = tmp_path_factory.mktemp("workspace")
    for sample in SAMPLES:
        target = workspace / "infra: stacks, v2" / sample
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / sample, target)
    text = run_cli("check", ".", cwd=workspace)
    concise = run_cli("check", "--format", "concise", ".", cwd=workspace)
    reference = run_cli("check", "--format", "json", ".", cwd=workspace)
    assert text.returncode == concise.returncode == reference.returncode == 1, (
        text.stderr + concise.stderr + reference.stderr)
    findings = json.loads(reference.stdout)
    assert {f["level"] for f in findings} == {"error", "warning", "info"}
    return {"text": text.stdout.splitlines(), "concise": concise.stdout.splitlines()}, findings


def _github_matchers() -> list[dict]:
    return json.loads((MATCHERS / "awslint-rules-problem-matcher.json").read_text())[
        "problemMatcher"]


def _vscode_matcher() -> dict:
    tasks = json.loads((MATCHERS / "vscode-tasks.json").read_text())["tasks"]
    return next(t for t in tasks if t["label"] == "awslint-rules")["problemMatcher"]


def _apply(pattern: dict, line: str, default_severity: str | None = None) -> dict | None:
    match = re.search(pattern["regexp"], line)
    if match is None:
        return None
    severity = match.group(pattern["severity"]) if "severity" in pattern else default_severity
    return {"file": match.group(pattern["file"]), "line": int(match.group(pattern["line"])),
            "column": int(match.group(pattern["column"])), "severity": severity,
            "code": match.group(pattern["code"]), "message": match.group(pattern["message"])}


def _expected(finding: dict, severity: str, output_format: str) -> dict:
    message = finding["message"]
    if output_format == "concise":
        message = short_message(message)
    return {"file": finding["file"], "line": finding["line"], "column": finding["column"],
            "severity": severity, "code": finding["rule"], "message": message}


FORMATS = ["text", "concise"]


@pytest.mark.parametrize("output_format", FORMATS)
def test_github_matcher_parses_every_finding_line(run, output_format):
    outputs, findings = run
    lines = outputs[output_format]
    parsed, unmatched = [], []
    for line in lines:
        for matcher in _github_matchers():  # the runner tries matchers in order; first wins
            (pattern,) = matcher["pattern"]
            result = _apply(pattern, line, matcher.get("severity", "error"))
            if result is not None:
                parsed.append(result)
                break
        else:
            unmatched.append(line)
    assert parsed == [_expected(f, GITHUB_SEVERITY[f["level"]], output_format) for f in findings]
    assert all(r["severity"] in ("error", "warning", "notice") for r in parsed)  # runner's set
    assert len(unmatched) == 1 and unmatched[0].startswith(f"{len(findings)} findings")
    assert any(" " in r["file"] and ":" in r["file"] for r in parsed)


@pytest.mark.parametrize("output_format", FORMATS)
def test_vscode_matcher_parses_every_finding_line(run, output_format):
    outputs, findings = run
    matcher = _vscode_matcher()
    parsed = [r for r in (_apply(matcher["pattern"], line) for line in outputs[output_format])
              if r is not None]
    assert parsed == [_expected(f, f["level"], output_format) for f in findings]
    assert matcher["owner"] == "awslint-rules" and matcher["fileLocation"][0] == "autoDetect"


def test_matchers_agree_on_owner_and_ids():
    github = _github_matchers()
    assert [m["owner"] for m in github] == ["awslint-rules", "awslint-rules-info"]
    assert github[1]["severity"] == "notice"
    assert re.search(github[0]["pattern"][0]["regexp"], "t.yaml:1:1: info IA3004 x") is None


def _unescape_data(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


COMMAND = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def test_github_format_escapes_messages_and_properties():
    message = "100% of 6 × 20 s\r\nsecond line: a, b ::warning x"
    finding = Finding("WA3002", "warning", message, "dir: a,b/t.yaml", Span(3, 5, 3, 9))
    (line,) = github_report([finding]).splitlines()
    match = COMMAND.match(line)
    assert match, line
    props = dict(item.split("=", 1) for item in match["props"].split(","))
    assert _unescape_property(props["file"]) == "dir: a,b/t.yaml"
    assert (props["line"], props["col"], props["endLine"], props["endColumn"]) == (
        "3", "5", "3", "9")
    assert props["title"] == "WA3002"
    assert _unescape_data(match["message"]) == message
    assert "\n" not in match["message"] and "\r" not in match["message"]


def test_github_format_on_real_output(tmp_path):
    workspace = Path(tmp_path)
    shutil.copy(FIXTURES / "IA3004/fail_plain_queue.yaml", workspace / "q.yaml")
    result = run_cli("check", "--format", "github", "q.yaml", cwd=workspace)
    assert result.returncode == 0, result.stderr  # info findings only
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith("::notice file=q.yaml,line=") for line in lines)
    assert all(COMMAND.match(line) for line in lines)


def test_readme_vscode_task_is_the_shipped_one():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### VS Code", 1)[1]
    snippet = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(snippet) == json.loads((MATCHERS / "vscode-tasks.json").read_text())


def test_github_annotations_name_the_repository_relative_path():
    finding = Finding("WA3002", "warning", "m", "./infra/q.yaml", Span(1, 1, 1, 2))
    assert github_report([finding]).startswith("::warning file=infra/q.yaml,line=1,")
