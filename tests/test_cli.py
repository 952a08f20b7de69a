"""The command line as users run it: a real process, real files, real exit codes.

Every run but the ones about configuration passes `--no-config` (via `run_cli`), so this
repository's own pyproject.toml never changes a result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from awslint_rules import __version__

from .conftest import CLI_TIMEOUT, EXAMPLE, FIXTURES, run_cli

CLEAN = FIXTURES / "WA8001" / "pass_application_and_network_load_balancers.yaml"


def _summary(findings: list[dict], templates: int = 1) -> str:
    levels = Counter(f["level"] for f in findings)
    return (f"{len(findings)} findings ({levels['error']} error, {levels['warning']} warning, "
            f"{levels['info']} info) in {templates} template")


def _located(findings: list[dict]) -> list[dict]:
    """Findings without fingerprints (they depend on the path relative to the working directory)."""
    return [{k: v for k, v in f.items() if k != "fingerprint"} for f in findings]


def test_text_format_and_exit_code(tmp_path, example_findings):
    result = run_cli(str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = f"{EXAMPLE}:5:14: warning WA2001 Function 'ApiFunction' Timeout 60 s"
    assert lines[0].startswith(expected)
    assert len(lines) == len(example_findings) + 1
    assert [line.split(" ")[2] for line in lines[:-1]] == [f["rule"] for f in example_findings]
    assert lines[-1] == _summary(example_findings)
    assert result.stderr == ""


def test_json_format_fields(tmp_path, example_findings):
    result = run_cli("--format", "json", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert _located(findings) == _located(example_findings)
    first = findings[0]
    assert set(first) >= {"rule", "level", "message", "file", "line", "column", "end_line",
                          "end_column", "resource", "path", "related"}
    assert (first["rule"], first["line"], first["column"], first["resource"]) == (
        "WA2001", 5, 14, "ApiFunction")
    assert first["related"][0]["line"] == 14


def test_fail_level_decides_only_the_exit_code(tmp_path):
    result = run_cli("--fail-level", "error", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0 and "WA2001" in result.stdout
    assert run_cli(str(CLEAN), cwd=tmp_path).returncode == 0


def test_select_and_ignore_by_id_and_prefix(tmp_path):
    selected = json.loads(run_cli("--format", "json", "--select", "WA3", str(EXAMPLE),
                                  cwd=tmp_path).stdout)
    assert {f["rule"] for f in selected} == {"WA3002", "WA3003"}
    ignored = json.loads(run_cli("--format", "json", "--ignore", "WA3,WA8001", str(EXAMPLE),
                                 cwd=tmp_path).stdout)
    assert {f["rule"] for f in ignored} == {"WA1001", "WA2001", "WA5001"}


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("--select", "ZZ9", str(EXAMPLE), cwd=tmp_path).returncode == 2
    assert run_cli("--format", "xml", str(EXAMPLE), cwd=tmp_path).returncode == 2
    assert run_cli("--parameter", "novalue", str(EXAMPLE), cwd=tmp_path).returncode == 2
    missing = run_cli("does-not-exist.yaml", str(EXAMPLE), cwd=tmp_path)
    assert missing.returncode == 2 and "WA2001" in missing.stdout
    assert "does-not-exist.yaml" in missing.stderr


def test_parameter_override(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(EXAMPLE.read_text().replace(
        "      VisibilityTimeout: 60", "      VisibilityTimeout: !Ref Visibility"
    ).replace("Resources:", "Parameters:\n  Visibility: {Type: Number, Default: 60}\nResources:"))
    default = json.loads(run_cli("--format", "json", "--select", "WA3002", str(template),
                                 cwd=tmp_path).stdout)
    assert len(default) == 1
    raised = run_cli("--format", "json", "--select", "WA3002", "-p", "Visibility=120",
                     str(template), cwd=tmp_path)
    assert json.loads(raised.stdout) == []


def test_stdin(tmp_path, example_findings):
    result = run_cli("--format", "json", "-", stdin=EXAMPLE.read_text(), cwd=tmp_path)
    findings = json.loads(result.stdout)
    assert {f["file"] for f in findings} == {"-"}
    assert [f["rule"] for f in findings] == [f["rule"] for f in example_findings]


def test_directories_recurse_and_skip_hidden_and_vendored(tmp_path):
    for folder in ("app", ".aws-sam/build", "node_modules/pkg", ".hidden"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "template.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "app" / "notes.txt").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "app" / "workflow.yml").write_text("on: push\njobs: {}\n")
    result = run_cli("--format", "json", "-v", str(tmp_path), cwd=tmp_path)
    assert {f["file"] for f in json.loads(result.stdout)} == {str(tmp_path / "app/template.yaml")}
    assert "skipped" in result.stderr and "workflow.yml" in result.stderr


def test_globs(tmp_path):
    (tmp_path / "a.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "b.yml").write_bytes(EXAMPLE.read_bytes())
    result = run_cli("--format", "json", str(tmp_path / "*.yaml"), cwd=tmp_path)
    assert {f["file"] for f in json.loads(result.stdout)} == {str(tmp_path / "a.yaml")}


def test_a_broken_file_does_not_lose_the_others(tmp_path, example_findings):
    (tmp_path / "bad.yaml").write_text("AWSTemplateFormatVersion: x\nResources: [\n")
    (tmp_path / "good.yaml").write_bytes(EXAMPLE.read_bytes())
    findings = json.loads(run_cli("--format", "json", str(tmp_path), cwd=tmp_path).stdout)
    assert {f["rule"] for f in findings if f["file"].endswith("bad.yaml")} == {"EA0000"}
    good = [f for f in findings if f["file"].endswith("good.yaml")]
    assert len(good) == len(example_findings)


def test_output_file(tmp_path, example_findings):
    target = tmp_path / "out.json"
    result = run_cli("--format", "json", "--output", str(target), str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert _located(json.loads(target.read_text())) == _located(example_findings)
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_github_format_escapes(tmp_path):
    result = run_cli("--format", "github", str(EXAMPLE), cwd=tmp_path)
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"::warning file={EXAMPLE},line=5,col=14,endLine=5,endColumn=16,"
                            "title=WA2001::Function 'ApiFunction'")
    from awslint_rules.report import _escape_data, _escape_property

    assert _escape_data("50%\nnext") == "50%25%0Anext"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"


def test_rules_and_explain(tmp_path):
    listing = run_cli("rules", cwd=tmp_path)
    assert listing.returncode == 0
    assert "WA3002  warning  queue-visibility-below-six-times-timeout" in listing.stdout
    explained = run_cli("explain", "wa3002", cwd=tmp_path)
    assert explained.returncode == 0 and "Why is this bad?" in explained.stdout
    assert "docs.aws.amazon.com" in explained.stdout
    assert run_cli("explain", "XX0000", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("option", ["--help", "-h"])
def test_help_lists_the_commands(tmp_path, option):
    """Both help options show the group's help (the commands), not the `check` command's."""
    result = run_cli(option, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert "Commands:" in result.stdout
    commands = result.stdout.split("Commands:", 1)[1].split()
    assert {"check", "rules", "explain"} <= set(commands)


def test_version(tmp_path):
    result = run_cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"awslint-rules, version {__version__}\n"


def test_standalone_run_never_imports_cfn_lint(tmp_path):
    code = ("import sys, runpy\n"
            "sys.argv = ['awslint-rules', '--no-config', '--format', 'sarif', sys.argv[1]]\n"
            "try: runpy.run_module('awslint_rules', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "assert 'cfnlint' not in sys.modules, 'cfn-lint imported'\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True,
                            cwd=tmp_path, timeout=CLI_TIMEOUT)
    assert result.stdout.endswith(b"ok\n"), result.stderr


@pytest.mark.slow
def test_parallel_jobs_give_identical_output(tmp_path):
    """`--jobs 2` (and the automatic choice for many files) changes nothing in the report."""
    serial = run_cli("--format", "json", "--jobs", "1", str(FIXTURES), cwd=tmp_path)
    parallel = run_cli("--format", "json", "--jobs", "2", str(FIXTURES), cwd=tmp_path)
    automatic = run_cli("--format", "json", str(FIXTURES), cwd=tmp_path)
    assert serial.returncode == parallel.returncode == automatic.returncode == 1
    assert len(json.loads(serial.stdout)) > 100
    assert serial.stdout == parallel.stdout == automatic.stdout
    assert run_cli("--jobs", "0", str(EXAMPLE), cwd=tmp_path).returncode == 2


def test_select_extend_select_and_ignore_by_tag(tmp_path):
    def rules(*args: str) -> set[str]:
        result = run_cli("--format", "json", *args, str(EXAMPLE), cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        return {f["rule"] for f in json.loads(result.stdout)}

    default = rules()
    assert rules("--select", "sqs") == {"WA3002", "WA3003"}
    assert rules("--extend-select", "EA") == default  # a prefix adds no off-by-default rule
    assert rules("--ignore", "sqs") == default - {"WA3002", "WA3003"}
    assert rules("--select", "ALL") >= default
    bad = run_cli("--extend-select", "nosuchtag", str(EXAMPLE), cwd=tmp_path)
    assert bad.returncode == 2 and "'nosuchtag' matches no rule id" in bad.stderr


def test_rules_and_explain_say_whether_a_rule_is_on_by_default(tmp_path):
    assert "On by default." in run_cli("explain", "WA3002", cwd=tmp_path).stdout
    explained = run_cli("explain", "IA1011", cwd=tmp_path).stdout
    assert "Off by default: switch it on with its id (IA1011), one of its tags (lambda, " \
        "observability, operational-excellence) or ALL" in explained
    listing = run_cli("rules", cwd=tmp_path).stdout.splitlines()
    assert any(line.startswith("IA1011") and line.endswith("(off by default)")
               for line in listing)
    assert not any(line.startswith("WA3002") and "off by default" in line for line in listing)


def test_observability_rules_only_when_selected(tmp_path):
    template = FIXTURES / "IA1013" / "fail_sam_function.yaml"

    def rules(*args: str) -> set[str]:
        result = run_cli("--format", "json", *args, str(template), cwd=tmp_path)
        return {f["rule"] for f in json.loads(result.stdout)}

    assert "IA1013" not in rules() | rules("--select", "IA") | rules("--select", "IA1")
    assert "IA1013" in rules("--select", "IA1013") & rules("--extend-select", "observability")
    assert "IA1013" in rules("--select", "ALL")
