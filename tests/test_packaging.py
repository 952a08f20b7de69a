"""`python -m build` makes an sdist and a wheel that install into a NEW virtual environment and lint
`examples/` exactly like the checkout (the rule catalog included); the version is written once.

Slow: it builds (setuptools from the package registry, in build's isolated environment) and
installs the dependencies into new virtual environments.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import awslint_rules

from .conftest import ROOT
from .test_precommit import _working_tree_files

TIMEOUT = 900
RULES = sorted(path.name for path in (ROOT / "rules").glob("*.yaml"))
CATALOG_FILES = sorted([*RULES, "_index.json"])  # the rules and the index of their heads


def _run(*args: str | Path, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    if check:
        assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_version_is_written_once():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^dynamic = \["version"\]', pyproject, re.M)
    project = pyproject.split("\n[project]\n", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.M)
    assert 'version = { attr = "awslint_rules.__version__" }' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", awslint_rules.__version__)


def test_version_option_prints_it():
    done = _run(sys.executable, "-m", "awslint_rules", "--version")
    assert done.stdout.strip() == f"awslint-rules, version {awslint_rules.__version__}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel built by `python -m build` from a copy of this working tree."""
    source = tmp_path_factory.mktemp("source")
    for name in _working_tree_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            os.symlink(os.readlink(ROOT / name), target)
        else:
            shutil.copy2(ROOT / name, target)
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", out, source)
    return out


def _venv(path: Path) -> Path:
    _run(sys.executable, "-m", "venv", path)
    return path / "bin"


def _lint(command: list[str | Path]) -> dict[str, subprocess.CompletedProcess]:
    return {
        fmt: _run(*command, "check", "--no-config", "--format", fmt, "examples/", check=False)
        for fmt in ("text", "json", "sarif")
    }


@pytest.fixture(scope="module")
def checkout_output() -> dict[str, subprocess.CompletedProcess]:
    return _lint([sys.executable, "-m", "awslint_rules"])


def _same_as_checkout(bin_dir: Path, checkout_output) -> None:
    installed = _run(bin_dir / "python", "-c",
                     "import awslint_rules; print(awslint_rules.__file__)")
    assert str(ROOT) not in installed.stdout and "site-packages" in installed.stdout
    version = _run(bin_dir / "awslint-rules", "--version")
    assert version.stdout.strip() == f"awslint-rules, version {awslint_rules.__version__}"
    rules = _run(bin_dir / "awslint-rules", "rules")
    assert rules.stdout == _run(sys.executable, "-m", "awslint_rules", "rules").stdout
    output = _lint([bin_dir / "awslint-rules"])
    for fmt, done in output.items():
        assert done.returncode == checkout_output[fmt].returncode == 1, done.stderr
        if fmt == "sarif":  # the tool's version and location are the same too
            assert json.loads(done.stdout) == json.loads(checkout_output[fmt].stdout)
        assert done.stdout == checkout_output[fmt].stdout, fmt
        assert done.stderr == checkout_output[fmt].stderr


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_with_the_rules(dist):
    version = awslint_rules.__version__
    wheel = dist / f"awslint_rules-{version}-py3-none-any.whl"
    sdist = dist / f"awslint_rules-{version}.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel.name, sdist.name])
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names
                  if n.startswith("awslint_rules/catalog/")) == CATALOG_FILES
    assert "awslint_rules/cfnlint_plugin/__init__.py" in names
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if "/" in m.name}
    for rule in CATALOG_FILES:
        assert members[f"rules/{rule}"].isfile(), rule
        assert members[f"src/awslint_rules/catalog/{rule}"].isfile(), rule
    for name in ("README.md", "rules/README.md", "examples/sam-api-and-queue.yaml",
                 "action.yml", ".pre-commit-hooks.yaml", "pyproject.toml"):
        assert name in members, name


@pytest.mark.slow
def test_wheel_in_a_new_venv_lints_like_the_checkout(dist, tmp_path, checkout_output):
    bin_dir = _venv(tmp_path / "venv")
    wheel = next(dist.glob("*.whl"))
    _run(bin_dir / "pip", "install", "--quiet", wheel)
    _same_as_checkout(bin_dir, checkout_output)


@pytest.mark.slow
def test_sdist_in_a_new_venv_lints_like_the_checkout(dist, tmp_path, checkout_output):
    bin_dir = _venv(tmp_path / "venv")
    sdist = next(dist.glob("*.tar.gz"))
    _run(bin_dir / "pip", "install", "--quiet", sdist)
    _same_as_checkout(bin_dir, checkout_output)
