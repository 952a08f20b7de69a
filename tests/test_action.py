"""The GitHub Action (action.yml at the repository root), its `run:` steps run locally.

`uses:` steps are skipped (actions/setup-python: the test's new virtual environment stands in for
the Python it sets up). In each `run:` step and its `env:`, `${{ inputs.NAME }}` becomes the test's
value (or the input's default) and `${{ github.action_path }}` a copy of this working tree; the
step runs the way GitHub runs `shell: bash` (`bash --noprofile --norc -eo pipefail`), with
GITHUB_OUTPUT set. The install step `pip install`s the copy into a new virtual environment, so this
needs the package registry for the dependencies (slow).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, SQS_CONSUMER
from .test_precommit import CLEAN_TEMPLATE, _working_tree_files

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
TIMEOUT = 900
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def test_action_is_composite_with_setup_python_and_documented_inputs():
    assert ACTION["runs"]["using"] == "composite"
    assert STEPS[0]["uses"].startswith("actions/setup-python@")
    assert STEPS[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    inputs = ACTION["inputs"]
    assert inputs["paths"]["default"] == "."
    assert inputs["fail-level"]["default"] == "warning"
    assert inputs["sarif-file"]["default"].endswith(".sarif")
    for name in inputs:
        assert inputs[name]["description"]
    assert all(step.get("shell") == "bash" for step in STEPS if "run" in step)
    assert "${{ github.action_path }}" in json.dumps(STEPS[1])


def test_only_the_last_step_can_fail_on_findings():
    lint_steps = [step for step in STEPS if "awslint-rules check" in step.get("run", "")]
    assert lint_steps[-1] is STEPS[-1]
    assert "$AWSLINT_FAIL_LEVEL" in STEPS[-1]["run"]
    for step in lint_steps[:-1]:
        assert "--fail-level never" in step["run"], step["name"]


def test_readme_documents_the_action_with_upload_on_always():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    workflow = readme.split("### GitHub Action and code scanning", 1)[1].split("```yaml\n")[1]
    steps = yaml.safe_load(workflow.split("```", 1)[0])["jobs"]["awslint-rules"]["steps"]
    action = next(step for step in steps
                  if step.get("uses", "").endswith("/awslint-rules@<commit>"))
    assert set(action["with"]) <= set(ACTION["inputs"])
    upload = steps[steps.index(action) + 1]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] == action["with"]["sarif-file"]


def _substitute(text: str, inputs: dict[str, str], action_path: Path) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "github.action_path":
            return str(action_path)
        assert name.startswith("inputs."), name
        key = name.removeprefix("inputs.")
        return inputs.get(key, ACTION["inputs"][key]["default"])

    return EXPRESSION.sub(value, text)


def _run_step(step: dict, inputs: dict[str, str], action_path: Path, bin_dir: Path,
              workspace: Path, output: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "GITHUB_OUTPUT": str(output), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    for key, text in step.get("env", {}).items():
        env[key] = _substitute(str(text), inputs, action_path)
    script = _substitute(step["run"], inputs, action_path)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=workspace, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(action path, bin directory): the install step run in a new virtual environment."""
    action_path = tmp_path_factory.mktemp("action")
    for name in _working_tree_files():
        target = action_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            os.symlink(os.readlink(ROOT / name), target)
        else:
            shutil.copy2(ROOT / name, target)
    venv = tmp_path_factory.mktemp("setup-python") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=TIMEOUT)
    install = next(step for step in STEPS if "pip install" in step.get("run", ""))
    done = _run_step(install, {}, action_path, venv / "bin", action_path,
                     action_path / "github-output")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith(f"version {__import__('awslint_rules').__version__}")
    assert (venv / "bin" / "awslint-rules").exists()
    return action_path, venv / "bin"


@pytest.fixture
def workspace(tmp_path) -> Path:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "queue.yaml").write_text(SQS_CONSUMER)  # WA3002, WA3003: warnings
    (tmp_path / "infra" / "bucket.json").write_text(CLEAN_TEMPLATE)
    (tmp_path / "clean.json").write_text(CLEAN_TEMPLATE)
    return tmp_path


def _run_lint_steps(inputs: dict[str, str], installed, workspace: Path) -> list:
    action_path, bin_dir = installed
    output = workspace / "github-output"
    output.write_text("")
    steps = [step for step in STEPS if "run" in step and "pip install" not in step["run"]]
    return [_run_step(step, inputs, action_path, bin_dir, workspace, output) for step in steps]


@pytest.mark.slow
@pytest.mark.parametrize(("inputs", "last_exit"), [
    ({}, 1),                                                  # paths ".", fail-level warning
    ({"paths": "infra", "fail-level": "error"}, 0),           # warnings only
    ({"paths": "infra/*.yaml clean.json", "sarif-file": "out/report.sarif"}, 1),
    ({"paths": "infra", "fail-level": "never"}, 0),
    ({"paths": "clean.json"}, 0),
    ({"paths": "infra", "args": "--ignore WA3 --no-config"}, 0),
])
def test_action_writes_sarif_and_fails_only_in_its_last_step(inputs, last_exit, installed,
                                                             workspace):
    if "/" in inputs.get("sarif-file", ""):
        (workspace / inputs["sarif-file"]).parent.mkdir()
    results = _run_lint_steps(inputs, installed, workspace)
    for done in results[:-1]:
        assert done.returncode == 0, done.stdout + done.stderr
    assert results[-1].returncode == last_exit, results[-1].stdout + results[-1].stderr
    assert "Traceback" not in "".join(done.stderr for done in results)

    sarif_name = inputs.get("sarif-file", ACTION["inputs"]["sarif-file"]["default"])
    sarif = json.loads((workspace / sarif_name).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    found = {result["ruleId"] for run in sarif["runs"] for result in run["results"]}
    if inputs.get("paths") in ("clean.json",):
        assert found == set()
    elif "--ignore WA3" in inputs.get("args", ""):
        assert found and not any(rule.startswith("WA3") for rule in found)
    else:
        assert {"WA3002", "WA3003"} <= found
        assert re.search(r"^::warning file=infra/queue\.yaml,line=6,col=26,",
                         results[-1].stdout, re.M), results[-1].stdout
    assert f"sarif-file={sarif_name}" in (workspace / "github-output").read_text()


@pytest.mark.slow
def test_a_missing_path_fails_the_sarif_step(installed, workspace):
    results = _run_lint_steps({"paths": "does-not-exist"}, installed, workspace)
    assert results[0].returncode == 2, results[0].stderr
