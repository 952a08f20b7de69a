"""The command line as users run it: a real process, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import FIXTURES, ROOT

EXAMPLE = ROOT / "examples" / "sam-api-and-queue.yaml"
CLEAN = FIXTURES / "WA8001" / "pass_application_and_network_load_balancers.yaml"


def run(*args: str, stdin: bytes | None = None, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "awslint_rules", *args], input=stdin, capture_output=True,
        cwd=cwd, env=env, timeout=60,
    )


def test_text_format_and_exit_code():
    result = run(str(EXAMPLE))
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    expected = f"{EXAMPLE}:5:14: warning WA2001 Function 'ApiFunction' Timeout 60 s"
    assert lines[0].startswith(expected)
    assert lines[-1].startswith("6 findings (0 error, 6 warning, 0 info) in 1 template")
    assert result.stderr == b""


def test_json_format_fields():
    result = run("--format", "json", str(EXAMPLE))
    findings = json.loads(result.stdout)
    first = findings[0]
    assert set(first) >= {"rule", "level", "message", "file", "line", "column", "end_line",
                          "end_column", "resource", "path", "related"}
    assert (first["rule"], first["line"], first["column"], first["resource"]) == (
        "WA2001", 5, 14, "ApiFunction")
    assert first["related"][0]["line"] == 14


def test_fail_level_decides_only_the_exit_code():
    result = run("--fail-level", "error", str(EXAMPLE))
    assert result.returncode == 0 and b"WA2001" in result.stdout
    assert run(str(CLEAN)).returncode == 0


def test_select_and_ignore_by_id_and_prefix():
    selected = json.loads(run("--format", "json", "--select", "WA3", str(EXAMPLE)).stdout)
    assert {f["rule"] for f in selected} == {"WA3002", "WA3003"}
    ignored = json.loads(run("--format", "json", "--ignore", "WA3,WA8001", str(EXAMPLE)).stdout)
    assert {f["rule"] for f in ignored} == {"WA1001", "WA2001", "WA5001"}


def test_usage_errors_exit_2():
    assert run("--select", "ZZ9", str(EXAMPLE)).returncode == 2
    assert run("--format", "xml", str(EXAMPLE)).returncode == 2
    assert run("--parameter", "novalue", str(EXAMPLE)).returncode == 2
    missing = run("does-not-exist.yaml", str(EXAMPLE))
    assert missing.returncode == 2 and b"WA2001" in missing.stdout
    assert b"does-not-exist.yaml" in missing.stderr


def test_parameter_override(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(EXAMPLE.read_text().replace(
        "      VisibilityTimeout: 60", "      VisibilityTimeout: !Ref Visibility"
    ).replace("Resources:", "Parameters:\n  Visibility: {Type: Number, Default: 60}\nResources:"))
    default = json.loads(run("--format", "json", "--select", "WA3002", str(template)).stdout)
    assert len(default) == 1
    raised = run("--format", "json", "--select", "WA3002", "-p", "Visibility=120", str(template))
    assert json.loads(raised.stdout) == []


def test_stdin():
    result = run("--format", "json", "-", stdin=EXAMPLE.read_bytes())
    findings = json.loads(result.stdout)
    assert findings and {f["file"] for f in findings} == {"-"}


def test_directories_recurse_and_skip_hidden_and_vendored(tmp_path):
    for folder in ("app", ".aws-sam/build", "node_modules/pkg", ".hidden"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "template.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "app" / "notes.txt").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "app" / "workflow.yml").write_text("on: push\njobs: {}\n")
    result = run("--format", "json", "-v", str(tmp_path))
    assert {f["file"] for f in json.loads(result.stdout)} == {str(tmp_path / "app/template.yaml")}
    assert b"skipped" in result.stderr and b"workflow.yml" in result.stderr


def test_globs(tmp_path):
    (tmp_path / "a.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "b.yml").write_bytes(EXAMPLE.read_bytes())
    result = run("--format", "json", str(tmp_path / "*.yaml"))
    assert {f["file"] for f in json.loads(result.stdout)} == {str(tmp_path / "a.yaml")}


def test_a_broken_file_does_not_lose_the_others(tmp_path):
    (tmp_path / "bad.yaml").write_text("AWSTemplateFormatVersion: x\nResources: [\n")
    (tmp_path / "good.yaml").write_bytes(EXAMPLE.read_bytes())
    findings = json.loads(run("--format", "json", str(tmp_path)).stdout)
    assert {f["rule"] for f in findings if f["file"].endswith("bad.yaml")} == {"EA0000"}
    assert len([f for f in findings if f["file"].endswith("good.yaml")]) == 6


def test_output_file(tmp_path):
    target = tmp_path / "out.json"
    result = run("--format", "json", "--output", str(target), str(EXAMPLE))
    assert result.stdout == b"" and len(json.loads(target.read_text())) == 6
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_github_format_escapes():
    result = run("--format", "github", str(EXAMPLE))
    first = result.stdout.decode().splitlines()[0]
    assert first.startswith(f"::warning file={EXAMPLE},line=5,col=14,endLine=5,endColumn=16,"
                            "title=WA2001::Function 'ApiFunction'")
    from awslint_rules.report import _escape_data, _escape_property

    assert _escape_data("50%\nnext") == "50%25%0Anext"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"


def test_rules_and_explain():
    listing = run("rules").stdout.decode()
    assert "WA3002  warning  queue-visibility-below-six-times-timeout" in listing
    explained = run("explain", "wa3002")
    assert explained.returncode == 0 and b"Why is this bad?" in explained.stdout
    assert b"docs.aws.amazon.com" in explained.stdout
    assert run("explain", "XX0000").returncode == 2


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version(option):
    assert run(option).returncode == 0


def test_standalone_run_never_imports_cfn_lint():
    code = ("import sys, runpy; sys.argv=['awslint-rules', '--format', 'sarif', sys.argv[1]];\n"
            "try: runpy.run_module('awslint_rules', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "assert 'cfnlint' not in sys.modules, 'cfn-lint imported'\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True)
    assert result.stdout.endswith(b"ok\n"), result.stderr


def test_parallel_jobs_give_identical_output():
    """`--jobs 2` (and the automatic choice for many files) changes nothing in the report."""
    serial = run("--no-config", "--format", "json", "--jobs", "1", str(FIXTURES))
    parallel = run("--no-config", "--format", "json", "--jobs", "2", str(FIXTURES))
    automatic = run("--no-config", "--format", "json", str(FIXTURES))
    assert serial.returncode == parallel.returncode == automatic.returncode == 1
    assert len(json.loads(serial.stdout)) > 100
    assert serial.stdout == parallel.stdout == automatic.stdout
    assert run("--jobs", "0", str(EXAMPLE)).returncode == 2
