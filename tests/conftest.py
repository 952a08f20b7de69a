from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from awslint_rules.catalog import load_catalog
from awslint_rules.cli import main
from awslint_rules.engine import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
EXAMPLE = ROOT / "examples" / "sam-api-and-queue.yaml"

# Generous: a guard against hangs on a loaded 2-core CI machine, not a performance assertion.
CLI_TIMEOUT = 120  # seconds

# A standard SQS queue consumed by a plain Lambda function through an event source mapping, with a
# visibility timeout (line 6, column 26) under six times the function timeout (WA3002) and no
# dead-letter queue (WA3003).
SQS_CONSUMER = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/worker
      Code: {ZipFile: "def handler(event, context): pass"}
      Timeout: 30
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt JobsQueue.Arn
      FunctionName: !Ref Worker
"""


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def settings(catalog):
    return Settings(catalog)


def invoke(*args: str) -> Result:
    """The command line in this process (click's CliRunner), never reading a configuration file."""
    return CliRunner().invoke(main, ["--no-config", *args])


@pytest.fixture(scope="session")
def example_findings() -> list[dict]:
    """The findings on EXAMPLE, from one JSON run: tests derive counts from it."""
    import json

    result = invoke("--format", "json", str(EXAMPLE))
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)
    assert findings and all(f["file"] == str(EXAMPLE) for f in findings)
    return findings


# First arguments that are not the (default) `check` command, which alone takes `--no-config`.
_NOT_CHECK = frozenset(main.commands) - {"check"} | {"-h", "--help", "--version"}


def _with_no_config(args: tuple[str, ...]) -> list[str]:
    if args and args[0] == "check":
        return ["check", "--no-config", *args[1:]]
    if args and args[0] in _NOT_CHECK:
        return list(args)
    return ["--no-config", *args]


def run_cli(
    *args: str,
    cwd: Path | str,
    stdin: str | None = None,
    timeout: float = CLI_TIMEOUT,
    config: bool = False,
    prelude: str | None = None,
    env: Mapping[str, str | None] | None = None,
    memory_limit: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess (`python -m awslint_rules`), with NO_COLOR=1.

    Unless `config` is true, `check` gets `--no-config`, so no configuration file found from `cwd`
    (e.g. this repository's pyproject.toml) changes the result. `prelude` is Python code run in the
    process first (to stage a race or disable sockets); `env` entries override the environment
    (None removes a variable); `memory_limit` caps the address space in bytes. Fails on a
    traceback: a crash is never an expected outcome.
    """
    if not config:
        args = tuple(_with_no_config(args))
    if prelude is None:
        command = [sys.executable, "-m", "awslint_rules", *args]
    else:
        command = [sys.executable, "-c", prelude + "\nfrom awslint_rules.cli import main\nmain()\n",
                   *args]
    environment = {**os.environ, "NO_COLOR": "1"}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    done = subprocess.run(
        command, input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=cwd,
        env=environment, timeout=timeout, preexec_fn=limit_memory if memory_limit else None,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


class DeadlineExceeded(BaseException):
    """Raised by `deadline`; a BaseException so that no `except Exception` in the code swallows
    it into a finding."""


@contextmanager
def deadline(seconds: int = CLI_TIMEOUT) -> Iterator[None]:
    """Fail (instead of hanging) if the block runs longer than `seconds`: a guard, not a timing."""

    def expired(signum, frame):
        raise DeadlineExceeded(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
