"""Every command line the README shows runs as pasted.

Commands are extracted from the README: every line of a fenced `sh`/`shell`/`bash` block (with
`\\` continuations joined), the `$ ` lines of `console` and unlabelled blocks, and the `- run:`
steps of `yaml` workflow snippets. Each block runs, command after command, with bash in its own
scratch copy of this working tree (so nothing touches the checkout) that also holds the files the
README's examples name: `template.yaml`, `infra/`, `templates/`, and `.venv` (a symlink to the
virtual environment running the tests, so `.venv/bin/awslint-rules` and `make run` work).

* `awslint-rules` resolves to this virtual environment's console script (its bin directory comes
  first on PATH).
* Blocks that install something (`pip`, `python -m build`, `pre-commit try-repo`) run in a NEW
  virtual environment (its bin directory first on PATH; this one's after it, for tools the README
  assumes are installed, such as pre-commit) and are marked slow: they need the package registry
  for the dependencies.
* The ONE substitution: the README's placeholder for the team's copy of this repository,
  `https://github.com/<owner>/awslint-rules`, pinned as `@<commit>` (or `rev: <commit>`), becomes
  `file://<a git snapshot of this working tree>` at that snapshot's commit sha. Nothing else in a
  command is changed.
* `make` targets run with `-o .venv/bin/awslint-rules` (make must not reinstall this virtual
  environment); `make test`, `make quick`, `make fuzz` and `make bench` are only dry-run
  (`make -n`): `make test` runs this very file.
* Exit codes: the ones the README states for the command (see `allowed_exit_codes`). A traceback
  on standard error always fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import EXAMPLE, ROOT, SQS_CONSUMER
from .test_precommit import CLEAN_TEMPLATE, GIT_ENV, _working_tree_files

README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
TIMEOUT = 900

PLACEHOLDER_REPO = "https://github.com/<owner>/awslint-rules"
PLACEHOLDER_COMMIT = "<commit>"

# Commands that are the test suite itself or run for minutes: checked with `make -n`.
DRY_RUN_MAKE_TARGETS = {"test", "quick", "fuzz", "bench"}
INSTALLING = re.compile(r"(^|\s)(pip|python -m build|pre-commit try-repo)\b")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    language: str
    commands: tuple[str, ...]

    @property
    def slow(self) -> bool:
        return any(INSTALLING.search(command) for command in self.commands)

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.language or 'unlabelled'})"


def _join_continuations(lines: list[str]) -> list[str]:
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    if pending:
        joined.append(pending)
    return joined


def readme_blocks(text: str) -> list[Block]:
    """The README's fenced blocks that show command lines, with those commands."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^(\s*)```(\S*)\s*$", lines[index])
        if not fence:
            index += 1
            continue
        start, language = index + 1, fence.group(2).lower()
        body = []
        index += 1
        while index < len(lines) and not re.match(r"^\s*```\s*$", lines[index]):
            body.append(lines[index])
            index += 1
        index += 1
        if language in ("sh", "shell", "bash"):
            commands = [
                line.strip() for line in _join_continuations(body)
                if line.strip() and not line.strip().startswith("#")
            ]
        elif language in ("console", ""):
            commands = [line[2:].strip() for line in body if line.startswith("$ ")]
        elif language in ("yaml", "yml"):
            commands = [
                match.group(1).strip() for line in body
                if (match := re.match(r"^\s*-\s+run:\s*(\S.*)$", line))
            ]
        else:
            commands = []
        if commands:
            blocks.append(Block(start, language, tuple(commands)))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def allowed_exit_codes(command: str) -> set[int]:
    """The exit codes the README states for `command`."""
    words = command.split("#", 1)[0].split()
    if words and words[0] == "cfn-lint":
        # "cfn-lint's exit codes apply: 0 without findings, otherwise the sum of 2 (errors),
        # 4 (warnings) and 8 (informational findings)"; 1 is cfn-lint failing.
        return {2 * a + 4 * b + 8 * c for a in (0, 1) for b in (0, 1) for c in (0, 1)}
    if words[:2] == ["pre-commit", "try-repo"]:
        return {0, 1}  # "exit 1 when the hook reports findings"
    linter = next((i for i, word in enumerate(words) if word.endswith("awslint-rules")), None)
    if linter is not None and words[0] not in ("pip", "echo"):
        arguments = words[linter + 1:]
        if "--write-baseline" in arguments:
            return {0}  # "write every current finding to FILE and exit 0"
        if arguments[:1] in (["rules"], ["explain"], ["--version"], ["--help"]):
            return {0}
        if "never" in arguments and arguments[arguments.index("never") - 1] == "--fail-level":
            return {0}  # "--fail-level never": findings never fail
        # "0 nothing at or above the fail level, 1 findings at or above it"
        return {0, 1}
    return {0}  # installs, builds, `make run` ("exits 0 although the examples have findings")


# Blocks whose commands demonstrate a mistake need it in their scratch directory.
def _config_mistake(scratch: Path) -> None:
    with (scratch / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write("\n[tool.awslint-rules.rules.WA3002]\naccount_concurrency = 3000\n")


SPECIAL = {
    # "Any unknown key, rule id or option ... is an error naming the file and key, exit 2."
    "unknown option for WA3002": (_config_mistake, {2}),
}


def _special(block_text: str):
    return next((value for key, value in SPECIAL.items() if key in block_text), None)


def _readme_block_text(block: Block) -> str:
    lines = README.read_text(encoding="utf-8").splitlines()[block.line:]
    return "\n".join(lines[: next(i for i, line in enumerate(lines) if line.strip() == "```")])


# -- fixtures -------------------------------------------------------------------------------------


def _copy_tree(target: Path) -> None:
    for name in _working_tree_files():
        source, destination = ROOT / name, target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), destination)
        else:
            shutil.copy2(source, destination)


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> tuple[Path, str]:
    """A git repository holding this working tree in one commit: (path, commit sha)."""
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("awslint-rules-repo")
    _copy_tree(repo)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-q", "--no-gpg-sign", "-m", "snapshot", cwd=repo)
    return repo, _git("rev-parse", "HEAD", cwd=repo)


def localize(text: str, repo: Path, commit: str) -> str:
    """THE substitution: the team's repository at a commit -> a local git repository at one."""
    return text.replace(PLACEHOLDER_REPO, f"file://{repo}").replace(PLACEHOLDER_COMMIT, commit)


@pytest.fixture(scope="module")
def new_venv(tmp_path_factory) -> Path:
    """A new, empty virtual environment (its bin directory) shared by the installing blocks."""
    venv = tmp_path_factory.mktemp("newcomer") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=TIMEOUT)
    return venv / "bin"


def _scratch(tmp_path: Path) -> Path:
    scratch = tmp_path / "work"
    _copy_tree(scratch)
    (scratch / ".venv").symlink_to(Path(sys.prefix))
    (scratch / "template.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"))
    (scratch / "infra").mkdir()
    (scratch / "infra" / "queue.yaml").write_text(SQS_CONSUMER)
    (scratch / "infra" / "bucket.json").write_text(CLEAN_TEMPLATE)
    (scratch / "templates").mkdir()
    (scratch / "templates" / "queue.yaml").write_text(SQS_CONSUMER)
    for example in (ROOT / "examples").iterdir():
        shutil.copy2(example, scratch / "templates" / example.name)
    _git("init", "-q", cwd=scratch)  # `pre-commit try-repo` runs in a git repository
    _git("add", "-A", cwd=scratch)
    _git("commit", "-q", "--no-gpg-sign", "-m", "project", cwd=scratch)
    return scratch


def _as_run(command: str) -> str:
    words = command.split("#", 1)[0].split()
    if words[:1] == ["make"]:
        targets = [word for word in words[1:] if not word.startswith("-")]
        if DRY_RUN_MAKE_TARGETS & set(targets):
            return f"make -n {' '.join(words[1:])}"
        return f"make -o .venv/bin/awslint-rules {' '.join(words[1:])}"
    return command


def _run_block(block: Block, tmp_path: Path, path_dirs: list[Path],
               localize_with: tuple[Path, str] | None = None) -> None:
    scratch = _scratch(tmp_path)
    special = _special(_readme_block_text(block))
    if special:
        special[0](scratch)
    others = [d for d in os.environ.get("PATH", "").split(os.pathsep)
              if d and Path(d).resolve() not in {p.resolve() for p in path_dirs}]
    env = {**os.environ, "PATH": os.pathsep.join([*map(str, path_dirs), *others]),
           "NO_COLOR": "1", "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    for command in block.commands:
        to_run = _as_run(command)
        if localize_with:
            to_run = localize(to_run, *localize_with)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", to_run],
                              cwd=scratch, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)
        allowed = special[1] if special else allowed_exit_codes(command)
        report = (f"{block}: `{command}` (ran `{to_run}`) exited {done.returncode}, "
                  f"the README allows {sorted(allowed)}\n{done.stdout[-3000:]}\n"
                  f"{done.stderr[-3000:]}")
        assert done.returncode in allowed, report
        assert "Traceback" not in done.stderr, report
        assert "command not found" not in done.stderr, report
        if special:
            expected = _readme_block_text(block).split(f"$ {command}\n", 1)[1].splitlines()[0]
            assert done.stderr.strip() == expected.replace("/src/app", str(scratch)), report


# -- the extraction itself ------------------------------------------------------------------------


def test_commands_are_extracted_from_every_kind_of_block():
    commands = [command for block in BLOCKS for command in block.commands]
    assert "make run" in commands[0]
    assert "awslint-rules examples/" in commands  # an unlabelled block with a `$ ` prompt
    assert any(c.startswith("cfn-lint template.yaml -a ") for c in commands)
    assert any(c.startswith("pre-commit try-repo ") for c in commands)
    assert "awslint-rules check --format github ." in commands  # a workflow `- run:` step
    assert not any(c.startswith("$") or c.startswith("#") for c in commands)


def test_extraction_joins_continuations_and_skips_output():
    text = ("```sh\n# comment\nfoo \\\n  --bar\n```\n\n```console\n$ baz\noutput\n```\n"
            "```yaml\nsteps:\n  - run: qux .\n  - uses: x/y@v1\n```\n```toml\nx = 1\n```\n")
    assert [b.commands for b in readme_blocks(text)] == [("foo    --bar",), ("baz",), ("qux .",)]


def test_no_cfn_lint_command_puts_the_template_after_a_multi_value_option():
    for block in BLOCKS:
        for command in block.commands:
            words = command.split("#", 1)[0].split()
            if words[:1] == ["cfn-lint"]:
                assert words[1].endswith((".yaml", ".yml", ".json", ".template")), command


def test_install_instructions_point_at_this_repository_not_a_registry():
    text = README.read_text(encoding="utf-8")
    assert "pip install awslint-rules" not in text
    assert "pip install 'awslint-rules[" not in text
    assert "rev: v0." not in text
    assert "github.com/awslint-rules/awslint-rules" not in text
    assert f"{PLACEHOLDER_REPO}@{PLACEHOLDER_COMMIT}" in text
    assert f"rev: {PLACEHOLDER_COMMIT}" in text


# -- running them ---------------------------------------------------------------------------------


@pytest.mark.slow  # each block in a scratch copy of the tree: ~10 s in all
@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if not b.slow], ids=lambda b: f"line{b.line}")
def test_readme_block_runs_as_pasted(block, tmp_path):
    _run_block(block, tmp_path, [VENV_BIN])


@pytest.mark.slow
@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.slow], ids=lambda b: f"line{b.line}")
def test_readme_installing_block_runs_as_pasted(block, tmp_path, snapshot, new_venv):
    _run_block(block, tmp_path, [new_venv, VENV_BIN], localize_with=snapshot)


@pytest.mark.slow
def test_readme_pre_commit_config_runs(tmp_path, snapshot):
    """The README's `.pre-commit-config.yaml`, with the one substitution, in a project."""
    text = README.read_text(encoding="utf-8")
    config = next(part for part in text.split("```yaml\n")[1:] if part.startswith("repos:"))
    config = localize(config.split("```", 1)[0], *snapshot)
    project = tmp_path / "project"
    (project / "infra").mkdir(parents=True)
    (project / "infra" / "queue.yaml").write_text(SQS_CONSUMER)
    (project / ".pre-commit-config.yaml").write_text(config)
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    env = {**GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PRE_COMMIT_COLOR": "never"}
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "infra/queue.yaml:6:26: warning WA3002" in done.stdout
