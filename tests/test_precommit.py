"""The pre-commit hook, run by real `pre-commit try-repo` against a temporary git repository.

`try-repo` installs the hook from the hook repository's HEAD plus its tracked modifications; it
ignores untracked files. So the test first snapshots this working tree (tracked and untracked
files that are not git-ignored) into a throwaway repository with one commit and points
`try-repo` at that: it tests exactly the code under test, on a clean CI checkout and in a working
tree with uncommitted files alike. pre-commit builds its own virtualenv and `pip install`s the
package from the snapshot, so this needs the package registry and takes a while (marked slow; it
still runs in `make test`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, SQS_CONSUMER

pytestmark = pytest.mark.slow

GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "PRE_COMMIT_COLOR": "never",
}
SKIPPED_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache"}

BAD_TEMPLATE = SQS_CONSUMER  # WA3002 at line 6, column 26, and WA3003
CLEAN_TEMPLATE = """\
{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}
}
"""
WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
COMPOSE = """\
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
"""


def _run(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=GIT_ENV, capture_output=True, text=True,
                            timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _working_tree_files() -> list[str]:
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                      cwd=ROOT).stdout
        return [name for name in listed.split("\0") if name and os.path.lexists(ROOT / name)]
    return [
        str(path.relative_to(ROOT)) for path in ROOT.rglob("*")
        if not path.is_dir() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
    ]


def _commit_all(repo: Path) -> None:
    _run("git", "add", "-A", cwd=repo)
    _run("git", "commit", "-q", "--no-gpg-sign", "-m", "snapshot", cwd=repo)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    for name in _working_tree_files():
        source, target = ROOT / name, snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    _run("git", "init", "-q", cwd=snapshot)
    _commit_all(snapshot)
    return snapshot


def _try_repo(hook_repo: Path, project: Path) -> subprocess.CompletedProcess[str]:
    return _run(sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "awslint-rules",
                "--all-files", "--color", "never", cwd=project, check=False)


def test_hook_fails_on_a_finding_and_skips_non_templates(hook_repo, tmp_path):
    project = tmp_path / "project"
    for name, text in {
        "infra/queue.template": BAD_TEMPLATE,
        "infra/bucket.json": CLEAN_TEMPLATE,
        ".github/workflows/ci.yml": WORKFLOW,
        "docker-compose.yaml": COMPOSE,
        "package.json": '{"name": "app", "version": "1.0.0"}\n',
        "README.md": "# app\n",
    }.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    _run("git", "init", "-q", cwd=project)
    _commit_all(project)

    failing = _try_repo(hook_repo, project)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "awslint-rules" in output and "Failed" in output
    assert "infra/queue.template:6:26: warning WA3002" in output
    assert "WA3003" in output  # the consumed queue has no DLQ either
    for quiet in ("bucket.json", "ci.yml", "docker-compose.yaml", "package.json"):
        assert f"{quiet}:" not in output, output

    _run("git", "rm", "-q", "infra/queue.template", cwd=project)
    _commit_all(project)
    passing = _try_repo(hook_repo, project)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
