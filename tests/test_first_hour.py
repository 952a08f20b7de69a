"""A newcomer's first hour: errors that are never hidden, empty directories, what `-v` says,
`--format concise`, the top-level help, case-insensitive choices, and signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import awslint_rules.cli as cli
from awslint_rules.cli import main
from awslint_rules.engine import INVALID_PARAMETER, FileResult
from awslint_rules.report import short_message

from .conftest import CLI_TIMEOUT, EXAMPLE, FIXTURES, invoke, run_cli

PARSE_ERROR = FIXTURES / "EA0000" / "fail_invalid_yaml.yaml"
DUPLICATE = FIXTURES / "EA0004" / "fail_duplicate_property.json"


def _rules(result) -> set[str]:
    return {f["rule"] for f in json.loads(result.stdout)}


# 1. EA0000, EA0001 and EA0004 are always reported


@pytest.mark.parametrize("options", [
    ("--select", "WA3"),
    ("--ignore", "EA0000,EA0004,EA0001"),
    ("--ignore", "EA"),
    ("--select", "IA3004", "--ignore", "EA0"),
])
def test_select_and_ignore_never_hide_parse_errors_and_duplicate_keys(options):
    result = invoke("--format", "json", *options, str(PARSE_ERROR), str(DUPLICATE))
    assert {"EA0000", "EA0004"} <= _rules(result)
    assert result.exit_code == 1  # errors at the default fail level


def test_fail_level_still_applies_to_always_reported_errors():
    result = invoke("--format", "json", "--select", "WA3", "--fail-level", "never",
                    str(PARSE_ERROR))
    assert _rules(result) == {"EA0000"} and result.exit_code == 0


def test_configuration_select_and_ignore_never_hide_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".awslint-rules.yaml").write_text("select: [WA3]\nignore: [EA0000, EA0004]\n")
    result = CliRunner().invoke(main, ["--format", "json", str(PARSE_ERROR), str(DUPLICATE)])
    assert {"EA0000", "EA0004"} <= _rules(result)


def test_internal_errors_are_never_hidden(tmp_path, monkeypatch):
    import awslint_rules.checks.sqs as sqs

    def broken(model, rule):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(sqs, "queue_without_dlq", broken)
    template = FIXTURES / "IA3004" / "fail_plain_queue.yaml"
    result = invoke("--format", "json", "--select", "IA3004", "--ignore", "EA0001",
                    str(template))
    findings = json.loads(result.stdout)
    assert [f["rule"] for f in findings] == ["EA0001"] and result.exit_code == 1


# 2. a directory without templates


def test_an_empty_directory_is_a_warning_not_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke(str(tmp_path / "empty"))
    assert result.exit_code == 0
    assert result.stderr == f"awslint-rules: no templates found under {tmp_path / 'empty'}\n"
    with_missing = invoke(str(tmp_path / "empty"), str(tmp_path / "nope.yaml"))
    assert with_missing.exit_code == 2 and "nope.yaml: no such file" in with_missing.stderr


def test_a_directory_of_non_templates_says_why_under_verbose(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# hello\n")
    (tmp_path / "docs" / "ci.yml").write_text("on: push\njobs: {}\n")
    (tmp_path / "docs" / "node_modules").mkdir()
    (tmp_path / "docs" / ".git").mkdir()
    quiet = invoke(str(tmp_path / "docs"))
    assert quiet.exit_code == 0
    assert quiet.stderr == f"awslint-rules: no templates found under {tmp_path / 'docs'}\n"
    loud = invoke("-v", str(tmp_path / "docs"))
    lines = loud.stderr.splitlines()
    assert f"awslint-rules: skipped {tmp_path / 'docs' / 'README.md'}: not a template " \
           "extension (.yaml, .yml, .json, .template)" in lines
    assert any(line.startswith(f"awslint-rules: skipped {tmp_path / 'docs' / 'ci.yml'}: no ")
               for line in lines)
    assert f"awslint-rules: skipped {tmp_path / 'docs' / 'node_modules'}: build output or " \
           "dependencies folder" in lines
    assert f"awslint-rules: skipped {tmp_path / 'docs' / '.git'}: hidden folder" in lines
    assert lines[-1] == f"awslint-rules: no templates found under {tmp_path / 'docs'}"


def test_a_directory_with_a_template_gives_no_warning(tmp_path):
    (tmp_path / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "notes.txt").write_text("x")
    result = invoke(str(tmp_path))
    assert result.exit_code == 1 and result.stderr == ""


# 3. what -v says: configuration, exclusions, baseline


def test_verbose_names_the_configuration_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    runner = CliRunner()
    none = runner.invoke(main, ["-v", "t.yaml"]).stderr
    assert "awslint-rules: no configuration file found (looked for .awslint-rules.yaml" in none
    assert runner.invoke(main, ["-v", "--no-config", "t.yaml"]).stderr.startswith(
        "awslint-rules: configuration files ignored (--no-config)\n")
    (tmp_path / ".awslint-rules.yaml").write_text("ignore: [WA8001]\n")
    used = runner.invoke(main, ["-v", "t.yaml"]).stderr
    assert f"awslint-rules: configuration: {tmp_path / '.awslint-rules.yaml'}\n" in used
    assert "configuration" not in runner.invoke(main, ["t.yaml"]).stderr


def test_verbose_names_files_the_configuration_excludes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "t.generated.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / ".awslint-rules.yaml").write_text("exclude: [legacy, '*.generated.yaml']\n")
    config = tmp_path / ".awslint-rules.yaml"
    walked = CliRunner().invoke(main, ["-v", "."])
    lines = walked.stderr.splitlines()
    assert (f"awslint-rules: skipped {os.path.join('.', 'legacy', 'old.yaml')}: excluded by the "
            f"configuration (exclude: 'legacy' in {config})") in lines
    assert "awslint-rules: no templates found under ." in lines and walked.exit_code == 0
    named = CliRunner().invoke(main, ["-v", "t.generated.yaml"])  # named on the command line
    assert ("awslint-rules: skipped t.generated.yaml: excluded by the configuration "
            f"(exclude: '*.generated.yaml' in {config})") in named.stderr.splitlines()
    assert "excluded" not in CliRunner().invoke(main, ["t.generated.yaml"]).stderr


def test_verbose_says_what_the_baseline_matched(tmp_path, monkeypatch, example_findings):
    count = len(example_findings)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path / "app")
    assert invoke("--write-baseline", "../baseline.json", "t.yaml").exit_code == 0
    matched = invoke("-v", "--baseline", "../baseline.json", "t.yaml")
    assert (f"awslint-rules: baseline ../baseline.json matched {count} findings "
            f"(it lists {count})") in matched.stderr.splitlines()
    monkeypatch.chdir(tmp_path)  # the same file, seen from another directory
    elsewhere = invoke("-v", "--baseline", "baseline.json", "app/t.yaml")
    assert (f"awslint-rules: baseline baseline.json matched no finding (it lists {count}): "
            "was it written from another directory?") in elsewhere.stderr
    assert "baseline" not in invoke("--baseline", "baseline.json", "app/t.yaml").stderr


# 4. what the engine says about a file: notes (-v) and invalid parameters (always, exit 2)


def _engine_returning(monkeypatch, make) -> None:
    monkeypatch.setattr(cli, "lint_file", lambda file, settings: make(file))


def test_notes_are_said_under_verbose(monkeypatch):
    def make(file):
        result = FileResult(file)
        result.notes = ["parameter Stage=prod ignored: not declared by this template"]
        return result

    _engine_returning(monkeypatch, make)
    loud = invoke("-v", str(EXAMPLE))
    assert (f"awslint-rules: {EXAMPLE}: parameter Stage=prod ignored: not declared by this "
            "template") in loud.stderr.splitlines()
    assert loud.exit_code == 0
    assert invoke(str(EXAMPLE)).stderr == ""


def test_an_invalid_parameter_is_said_and_exits_2(monkeypatch, tmp_path):
    reason = f"{INVALID_PARAMETER}Stage=qa is not one of its AllowedValues (dev, prod)"
    _engine_returning(monkeypatch, lambda file: FileResult(file, skipped=reason))
    result = invoke(str(EXAMPLE))
    assert result.exit_code == 2
    assert result.stderr == f"awslint-rules: {EXAMPLE}: {reason}\n"
    assert result.stdout.splitlines()[-1] == (
        "0 findings (0 error, 0 warning, 0 info) in 0 templates; 1 file not linted "
        "(invalid parameter)")
    assert "skipped" not in invoke("-v", str(EXAMPLE)).stderr  # not a non-template
    assert invoke("--write-baseline", str(tmp_path / "b.json"), str(EXAMPLE)).exit_code == 2


# 6. --format concise


def test_concise_format_one_short_line_per_finding(example_findings):
    result = invoke("--format", "concise", str(EXAMPLE))
    assert result.exit_code == 1 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:-1] == [
        f"{f['file']}:{f['line']}:{f['column']}: {f['level']} {f['rule']} "
        + f["message"].split(": ")[0] for f in example_findings]
    assert lines[-1] == invoke(str(EXAMPLE)).stdout.splitlines()[-1]  # the usual summary
    assert lines[0].endswith("WA2001 Function 'ApiFunction' Timeout 60 s (from Globals) is "
                             "longer than the 29 s integration timeout of the REST API in "
                             "front of it")


def test_short_message_keeps_conditions_and_parentheses():
    assert short_message("Queue 'Q' has no RedrivePolicy: messages are lost "
                         "(when condition IsProd is true)") == (
        "Queue 'Q' has no RedrivePolicy (when condition IsProd is true)")
    assert short_message("Mapping 'M' retries without limit (A and B both unset: -1): one "
                         "record blocks") == "Mapping 'M' retries without limit (A and B both "\
                                             "unset: -1)"
    assert short_message("nested deeper than 256 levels") == "nested deeper than 256 levels"
    assert short_message("Function 'F' throttles (when condition Paused is true)") == (
        "Function 'F' throttles (when condition Paused is true)")
    assert short_message("Classic Load Balancer 'Web': use an ALB.") == (
        "Classic Load Balancer 'Web'")


def test_concise_statistics_stay_in_the_report():
    lines = invoke("--format", "concise", "--statistics", str(EXAMPLE)).stdout.splitlines()
    assert any(line.startswith("1  WA3002  warning") for line in lines)


# 7. help and case-insensitive choices


@pytest.mark.parametrize("option", ["--help", "-h"])
def test_top_level_help_shows_the_check_options(tmp_path, option):
    result = run_cli(option, cwd=tmp_path)
    assert result.returncode == 0
    for name in ("--format", "--select", "--ignore", "--fail-level", "--parameter", "--config",
                 "--baseline", "--jobs", "--verbose", "concise"):
        assert name in result.stdout, name
    assert "Options of check (the default command)" in result.stdout
    assert result.stdout.count("Show this message and exit.") == 1


def test_choices_accept_any_case(tmp_path, monkeypatch, example_findings):
    assert invoke("--fail-level", "ERROR", str(EXAMPLE)).exit_code == 0
    assert invoke("--fail-level", "Warning", str(EXAMPLE)).exit_code == 1
    json.loads(invoke("--format", "JSON", str(EXAMPLE)).stdout)
    assert invoke("--format", "Concise", str(EXAMPLE)).stdout.count(": warning ") == len(
        example_findings)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / ".awslint-rules.yaml").write_text(
        "fail-level: ERROR\nrules:\n  WA3002: {level: Error}\n")
    result = CliRunner().invoke(main, ["--format", "json", "t.yaml"])
    assert result.exit_code == 1, result.stderr
    levels = {f["rule"]: f["level"] for f in json.loads(result.stdout)}
    assert levels["WA3002"] == "error"


# 5. signals: workers end with the run, Ctrl-C is 130


SLOW_ENGINE = (
    "import sys, time, awslint_rules.cli as c\n"
    "def slow(file, settings):\n"
    "    sys.stderr.write('linting\\n'); sys.stderr.flush(); time.sleep(60)\n"
    "c.lint_file = slow\n"
    "from awslint_rules.cli import main\n"
    "main()\n"
)


def _interrupted(tmp_path, jobs: str, signum: int, group: bool) -> tuple[int, str]:
    """Start a run whose lint hangs, wait until a file is being linted, send `signum` (to the
    process group, as a terminal's Ctrl-C does, or to the parent alone); (exit code, stderr).
    The run's pipes must close: a worker left running would keep them open."""
    for index in range(8):
        (tmp_path / f"t{index}.yaml").write_bytes(EXAMPLE.read_bytes())
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_ENGINE, "--no-config", "--jobs", jobs, str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stderr is not None
        assert process.stderr.readline() == "linting\n"
        time.sleep(0.1)  # let the other worker start too
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(CLI_TIMEOUT)
    return process.returncode, stderr


def test_sigterm_ends_the_workers_with_the_run(tmp_path):
    code, stderr = _interrupted(tmp_path, "2", signal.SIGTERM, group=False)
    assert code == 128 + signal.SIGTERM
    assert "Traceback" not in stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_without_a_traceback(tmp_path, jobs):
    code, stderr = _interrupted(tmp_path, jobs, signal.SIGINT, group=True)
    assert code == 130
    assert "Traceback" not in stderr and "Aborted" not in stderr
    assert stderr.endswith("awslint-rules: interrupted\n")
