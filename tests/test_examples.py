"""The bundled examples are valid templates: cfn-lint reports nothing on them, so the only
mistakes they show are the ones awslint-rules is there to report."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT

EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".yaml", ".json"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("cfnlint") is None,
                       reason="cfn-lint is not installed (the `test` extra)"),
]

CFN_LINT = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"


def test_there_are_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_cfn_lint_reports_no_error_and_no_warning_on_the_example(example):
    # Errors and warnings (cfn-lint's default); exit code is a bit mask: 2 error, 4 warning.
    result = subprocess.run([sys.executable, "-c", CFN_LINT, "--format", "parseable",
                             str(example)], cwd=ROOT, text=True, capture_output=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
