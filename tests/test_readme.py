"""The README's rules table is the one scripts/readme_rules.py generates from the catalog."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("readme_rules", ROOT / "scripts" / "readme_rules.py")
assert _spec and _spec.loader
readme_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_rules)


def test_readme_rules_table_is_generated_from_the_catalog(catalog):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    generated = readme_rules.rewrite(readme, readme_rules.table(catalog))
    assert readme == generated, (
        "the README's rules table is out of date: run `python scripts/readme_rules.py --write`"
    )


def test_table_has_one_row_per_rule_in_catalog_order(catalog):
    rows = readme_rules.table(catalog).splitlines()
    assert rows[:2] == ["| id | name | what it finds |", "| --- | --- | --- |"]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows[2:]] == list(catalog)
    assert rows[2] == (
        "| EA0000 | template-parse-error | the file is a template but cannot be parsed |"
    )


def test_brief_falls_back_to_summary_and_pipes_are_escaped(catalog):
    rule = next(iter(catalog.values()))
    doc = {key: value for key, value in rule.doc.items() if key != "brief"}
    bare = type(rule)(rule.id, rule.name, rule.level, "finds a | b\n  here", doc)
    assert readme_rules.table({rule.id: bare}).splitlines()[2] == (
        f"| {rule.id} | {rule.name} | finds a \\| b here |"
    )


def test_write_replaces_only_the_marked_section(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- rules-table:start -->\nold\n<!-- rules-table:end -->\n\nafter\n")
    assert readme_rules.main(["--write", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# x\n\n<!-- rules-table:start -->\n| id | name | what it finds |\n")
    assert text.endswith(" |\n<!-- rules-table:end -->\n\nafter\n")  # a table row, then the rest
    assert "\nold\n" not in text
    assert readme_rules.main(["--write", "--readme", str(readme)]) == 0
    assert readme.read_text() == text
    assert "already up to date" in capsys.readouterr().err


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="markers"):
        readme_rules.rewrite("# no markers\n", "| id |\n")
    with pytest.raises(ValueError, match="markers"):
        readme_rules.rewrite("<!-- rules-table:end -->\n<!-- rules-table:start -->\n", "")


def test_make_quick_runs_ruff_and_the_tests_not_marked_slow():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = next(line for line in makefile.splitlines() if line.startswith(".PHONY:"))
    assert "quick" in phony.split() and "test" in phony.split()
    recipe = makefile.split("\nquick:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check src tests scripts" in recipe and '-m pytest -rs -m "not slow"' in recipe
    assert "`make quick`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_make_test_prints_skip_reasons_and_make_fuzz_has_a_budget():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("test", "quick"):
        recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        assert "-m pytest -rs" in recipe, target
    fuzz = makefile.split("\nfuzz:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/fuzz.py --seconds $${FUZZ_SECONDS:-300}" in fuzz


@pytest.mark.slow  # hypothesis and the corpus load take ~30 s around the 6 s budget
def test_fuzz_driver_stops_at_its_budget(tmp_path):
    import subprocess
    import sys
    import time

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fuzz.py"), "--seconds", "6", "--progress", "2"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== hypothesis (long profile): budget 3 s" in done.stdout
    assert "time budget of 3 s reached, stopping" in done.stdout
    assert "== fuzz: OK" in done.stdout
    assert elapsed < 60, elapsed
