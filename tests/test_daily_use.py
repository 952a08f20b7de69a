"""Daily use: --statistics, the progress bar on a terminal, colour only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

import pytest

from awslint_rules.cli import PROGRESS_MIN_FILES

from .conftest import CLI_TIMEOUT, EXAMPLE, invoke, run_cli


def test_statistics_text_after_the_findings(example_findings):
    count = len(example_findings)
    lines = invoke("--statistics", str(EXAMPLE)).stdout.splitlines()
    assert [line.split(" ")[2] for line in lines[:count]] == [f["rule"] for f in example_findings]
    assert lines[count:] == [
        "1  WA1001  warning  async-function-without-failure-destination",
        "1  WA2001  warning  function-timeout-exceeds-api-timeout",
        "1  WA3002  warning  queue-visibility-below-six-times-timeout",
        "1  WA3003  warning  consumed-queue-without-dlq",
        "1  WA5001  warning  rule-target-without-dlq",
        "1  WA8001  warning  classic-load-balancer",
        f"{count} findings (0 error, {count} warning, 0 info) in 1 template",
    ]


def test_statistics_most_first(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "d.yaml").write_text("AWSTemplateFormatVersion: x\nResources:\n"
                                     "  Lb: {Type: AWS::ElasticLoadBalancing::LoadBalancer}\n")
    lines = invoke("--statistics", str(tmp_path)).stdout.splitlines()
    assert lines[-7].startswith("4  WA8001  warning")
    assert lines[-6].startswith("3  WA1001  warning")


@pytest.mark.parametrize("output_format", ["json", "sarif", "github"])
def test_statistics_go_to_stderr_for_machine_formats(output_format):
    result = invoke("--format", output_format, "--statistics", str(EXAMPLE))
    assert "1  WA3002  warning" in result.stderr
    assert "WA3002  warning" not in result.stdout
    if output_format != "github":
        json.loads(result.stdout)


def run_on_terminal(args, *, cwd, stdout_tty=False, env=None):
    """Run the CLI with stderr (and optionally stdout) on a pseudo-terminal: (stdout, terminal).
    Standard output goes to a file, so a large report cannot block the child while the
    terminal is read."""
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as stdout:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "awslint_rules", "--no-config", *args],
                stdin=subprocess.DEVNULL, stdout=slave if stdout_tty else stdout, stderr=slave,
                cwd=cwd, env={**os.environ, **(env or {})})
            os.close(slave)
            chunks = []
            deadline = time.monotonic() + CLI_TIMEOUT
            while select.select([master], [], [], max(0, deadline - time.monotonic()))[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        finally:
            os.close(master)
        stdout.seek(0)
        terminal = b"".join(chunks)
        return (terminal if stdout_tty else stdout.read()), terminal


def test_progress_bar_on_a_terminal_with_many_files(tmp_path, example_findings):
    for index in range(PROGRESS_MIN_FILES + 1):
        (tmp_path / f"t{index:02}.yaml").write_bytes(EXAMPLE.read_bytes())
    out, terminal = run_on_terminal(["--format", "json", str(tmp_path)], cwd=tmp_path)
    assert b"linting" in terminal and f"{PROGRESS_MIN_FILES + 1}/{PROGRESS_MIN_FILES + 1}".encode(
    ) in terminal
    assert len(json.loads(out)) == len(example_findings) * (PROGRESS_MIN_FILES + 1)


def test_no_progress_bar_for_few_files_or_off_a_terminal(tmp_path):
    _, terminal = run_on_terminal(["--format", "json", str(EXAMPLE)], cwd=tmp_path)
    assert b"linting" not in terminal
    for index in range(PROGRESS_MIN_FILES + 1):
        (tmp_path / f"t{index:02}.yaml").write_bytes(EXAMPLE.read_bytes())
    piped = invoke("--format", "json", str(tmp_path))
    assert piped.stderr == ""


def test_colour_only_on_a_terminal_and_not_with_no_color(tmp_path):
    coloured, _ = run_on_terminal([str(EXAMPLE)], cwd=tmp_path, stdout_tty=True,
                                  env={"NO_COLOR": ""})
    assert b"\x1b[33mwarning\x1b[0m" in coloured
    plain, _ = run_on_terminal([str(EXAMPLE)], cwd=tmp_path, stdout_tty=True,
                               env={"NO_COLOR": "1"})
    assert b"\x1b[" not in plain and b"warning WA2001" in plain
    piped = run_cli(str(EXAMPLE), cwd=tmp_path, env={"NO_COLOR": None})
    assert piped.returncode == 1 and "warning WA2001" in piped.stdout
    assert "\x1b[" not in piped.stdout
    to_file = invoke("-o", "/dev/null", str(EXAMPLE))
    assert to_file.exit_code == 1
