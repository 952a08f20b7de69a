"""Every corpus file gives findings, a clean result, a skip or a parse error: never a crash."""

from __future__ import annotations

import collections

import pytest

from awslint_rules.discover import discover
from awslint_rules.engine import lint_file

from .conftest import CORPUS


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS} (../shared absent)")
def test_whole_corpus_without_internal_errors(settings):
    files, _ = discover([str(CORPUS)])
    assert len(files) >= 3000
    outcomes: collections.Counter[str] = collections.Counter()
    internal = []
    for file in files:
        result = lint_file(file, settings)  # a raise here fails the test with its traceback
        internal += [f"{f.file}: {f.message}" for f in result.findings if f.rule == "EA0001"]
        if result.skipped:
            outcomes["skipped"] += 1
        elif any(f.rule == "EA0000" for f in result.findings):
            outcomes["parse error"] += 1
        else:
            outcomes["linted"] += 1
    assert internal == []
    assert outcomes["linted"] > 3000
    unparseable, _ = discover([str(CORPUS / "unparseable")])
    for file in unparseable:
        assert [f.rule for f in lint_file(file, settings).findings] == ["EA0000"], file
